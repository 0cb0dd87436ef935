// Reads the envelope of a JSON-RPC line (its `id`, its `method`, and whether it carries `result` or
// `error`) without parsing the line, in time independent of the line's length.
//
// Why this works: a JSON-RPC message is one object whose members are simple values (`jsonrpc`,
// `id`, `method`) plus exactly one structured value (`params`, `result` or `error`), in any order.
// Scanning members from the front until the structured one, and from the back until it, visits
// every simple member, whatever order the sender chose (the TypeScript SDK writes `id` after a
// possibly megabyte-long `result`). Each scan reads only a few dozen bytes. The scans look at a
// bounded head and tail of the line, so a line that arrives in many chunks can be classified from
// two small copies.
//
// Anything unusual (escaped key names, more than one structured member, a huge simple member)
// makes a scan stop early and report what it saw; callers decide whether a full JSON.parse is
// worth it for that line.

export interface Peek {
  /** The line starts with `{` (after white space). Non-JSON lines and arrays (batches) do not. */
  object: boolean;
  method?: string;
  /** Normalised id: `n:<number>`, `s:<string>` or `null`. */
  id?: string;
  /** The structured member seen: 'params', 'result', 'error' or another key. */
  body?: string;
  /** Both scans together covered every member (so a missing `id` really is missing). */
  complete: boolean;
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

function isBareChar(c: number): boolean {
  // Numbers, true, false, null.
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2b || c === 0x2e || (c >= 0x41 && c <= 0x5a);
}

/** Classifies a whole line held in `buf[start, end)`. */
export function peekLine(buf: Buffer, start: number, end: number): Peek {
  return peekParts(buf, start, end, buf, start, end, true);
}

/**
 * Classifies a line from a copy of its first bytes (`head[hs, he)`) and of its last bytes
 * (`tail[ts, te)`); `whole` says the head is the entire line (then head and tail are the same).
 */
export function peekParts(head: Buffer, hs: number, he: number, tail: Buffer, ts: number, te: number, whole: boolean): Peek {
  // All fields present from the start: one object shape for every line keeps V8's access fast.
  const peek: Peek = { object: false, method: undefined, id: undefined, body: undefined, complete: false };
  let i = hs;
  while (i < he && isSpace(head[i])) {
    i++;
  }
  if (i >= he || head[i] !== LBRACE) {
    return peek;
  }
  peek.object = true;
  const front = scanFront(head, i + 1, he, peek);
  if (front === 'closed') {
    peek.complete = whole;
    return peek;
  }
  const back = scanBack(tail, ts, te, peek);
  // Both scans stopped at a structured member: complete if they stopped at the same one, which is
  // what a valid JSON-RPC message gives. (Two structured members would hide what lies between.)
  peek.complete = front === 'structured' && back === 'structured';
  return peek;
}

type ScanEnd = 'closed' | 'structured' | 'gave-up';

function scanFront(b: Buffer, i: number, end: number, peek: Peek): ScanEnd {
  for (;;) {
    while (i < end && isSpace(b[i])) {
      i++;
    }
    if (i >= end) {
      return 'gave-up';
    }
    if (b[i] === RBRACE) {
      return 'closed';
    }
    if (b[i] !== QUOTE) {
      return 'gave-up';
    }
    const keyEnd = stringEndForward(b, i, end);
    if (keyEnd < 0) {
      return 'gave-up';
    }
    const keyStart = i;
    i = keyEnd;
    while (i < end && isSpace(b[i])) {
      i++;
    }
    if (i >= end || b[i] !== COLON) {
      return 'gave-up';
    }
    i++;
    while (i < end && isSpace(b[i])) {
      i++;
    }
    if (i >= end) {
      return 'gave-up';
    }
    const c = b[i];
    const valueStart = i;
    if (c === LBRACE || c === LBRACKET) {
      peek.body = keyText(b, keyStart, keyEnd);
      return 'structured';
    }
    if (c === QUOTE) {
      i = stringEndForward(b, i, end);
      if (i < 0) {
        return 'gave-up';
      }
    } else {
      while (i < end && isBareChar(b[i])) {
        i++;
      }
      if (i === valueStart || i >= end) {
        return 'gave-up';
      }
    }
    record(b, keyStart, keyEnd, valueStart, i, peek);
    while (i < end && isSpace(b[i])) {
      i++;
    }
    if (i >= end) {
      return 'gave-up';
    }
    if (b[i] === COMMA) {
      i++;
    } else if (b[i] === RBRACE) {
      return 'closed';
    } else {
      return 'gave-up';
    }
  }
}

function scanBack(b: Buffer, start: number, end: number, peek: Peek): ScanEnd {
  let j = end - 1;
  while (j >= start && isSpace(b[j])) {
    j--;
  }
  if (j < start || b[j] !== RBRACE) {
    return 'gave-up';
  }
  j--;
  for (;;) {
    while (j >= start && isSpace(b[j])) {
      j--;
    }
    if (j < start) {
      return 'gave-up';
    }
    const c = b[j];
    if (c === LBRACE) {
      return 'closed';
    }
    if (c === RBRACE || c === RBRACKET) {
      return 'structured';
    }
    // A simple value ends at j.
    const valueEnd = j + 1;
    let valueStart: number;
    if (c === QUOTE) {
      valueStart = stringStartBackward(b, j, start);
      if (valueStart < 0) {
        return 'gave-up';
      }
    } else {
      valueStart = j;
      while (valueStart - 1 >= start && isBareChar(b[valueStart - 1])) {
        valueStart--;
      }
      if (!isBareChar(c)) {
        return 'gave-up';
      }
    }
    j = valueStart - 1;
    while (j >= start && isSpace(b[j])) {
      j--;
    }
    if (j < start || b[j] !== COLON) {
      return 'gave-up';
    }
    j--;
    while (j >= start && isSpace(b[j])) {
      j--;
    }
    if (j < start || b[j] !== QUOTE) {
      return 'gave-up';
    }
    const keyStart = stringStartBackward(b, j, start);
    if (keyStart < 0) {
      return 'gave-up';
    }
    record(b, keyStart, j + 1, valueStart, valueEnd, peek);
    j = keyStart - 1;
    while (j >= start && isSpace(b[j])) {
      j--;
    }
    if (j < start) {
      return 'gave-up';
    }
    if (b[j] === COMMA) {
      j--;
    } else if (b[j] === LBRACE) {
      return 'closed';
    } else {
      return 'gave-up';
    }
  }
}

/** Index just after the closing quote of the string opening at `i`, or -1. */
function stringEndForward(b: Buffer, i: number, end: number): number {
  // Keys and short values: a plain loop beats a call into native indexOf.
  const near = Math.min(end, i + 32);
  for (let k = i + 1; k < near; k++) {
    const c = b[k];
    if (c === QUOTE) {
      return k + 1;
    }
    if (c === BACKSLASH) {
      break;
    }
  }
  let q = i;
  for (;;) {
    q = b.indexOf(QUOTE, q + 1);
    if (q < 0 || q >= end) {
      return -1;
    }
    if (!escaped(b, q, i + 1)) {
      return q + 1;
    }
  }
}

/** Index of the opening quote of the string whose closing quote is at `j`, or -1. */
function stringStartBackward(b: Buffer, j: number, start: number): number {
  const near = Math.max(start, j - 32);
  for (let k = j - 1; k >= near; k--) {
    const c = b[k];
    if (c === BACKSLASH) {
      break;
    }
    if (c === QUOTE) {
      // Unescaped only if no backslash precedes it (a run of them is checked by the slow path).
      if (k === start || b[k - 1] !== BACKSLASH) {
        return k;
      }
      break;
    }
  }
  let q = j;
  for (;;) {
    if (q - 1 < start) {
      return -1;
    }
    q = b.lastIndexOf(QUOTE, q - 1);
    if (q < start) {
      return -1;
    }
    // Inside a JSON string every quote is escaped, so the first unescaped one is the opener.
    if (!escaped(b, q, start)) {
      return q;
    }
  }
}

/** The quote at `q` is preceded by an odd number of backslashes. */
function escaped(b: Buffer, q: number, floor: number): boolean {
  let n = 0;
  for (let k = q - 1; k >= floor && b[k] === BACKSLASH; k--) {
    n++;
  }
  return n % 2 === 1;
}

const KEY_ID = Buffer.from('"id"');
const KEY_METHOD = Buffer.from('"method"');
const BODY_KEYS = ['params', 'result', 'error'].map((k) => [Buffer.from(`"${k}"`), k] as const);

/** `b[s, e)` equals `key` (compared in place: this runs for every member of every line). */
function sameBytes(b: Buffer, s: number, e: number, key: Buffer): boolean {
  if (e - s !== key.length) {
    return false;
  }
  for (let k = 0; k < key.length; k++) {
    if (b[s + k] !== key[k]) {
      return false;
    }
  }
  return true;
}

function keyText(b: Buffer, ks: number, ke: number): string {
  for (const [bytes, name] of BODY_KEYS) {
    if (sameBytes(b, ks, ke, bytes)) {
      return name;
    }
  }
  return b.toString('utf8', ks + 1, ke - 1);
}

// Raw byte comparison: `"id"` and `"method"` are what every sender writes; an escaped spelling of
// the key is not recognised (the caller then sees no id and may parse the line).
function record(b: Buffer, ks: number, ke: number, vs: number, ve: number, peek: Peek): void {
  if (sameBytes(b, ks, ke, KEY_ID)) {
    peek.id = idKey(b, vs, ve);
  } else if (sameBytes(b, ks, ke, KEY_METHOD) && b[vs] === QUOTE) {
    peek.method = stringValue(b, vs, ve);
  }
}

function stringValue(b: Buffer, vs: number, ve: number): string {
  const raw = b.toString('utf8', vs + 1, ve - 1);
  if (raw.indexOf('\\') < 0) {
    return raw;
  }
  try {
    return JSON.parse(b.toString('utf8', vs, ve)) as string;
  } catch {
    return raw;
  }
}

function idKey(b: Buffer, vs: number, ve: number): string {
  if (b[vs] === QUOTE) {
    return 's:' + stringValue(b, vs, ve);
  }
  const text = b.toString('latin1', vs, ve);
  if (text === 'null') {
    return 'null';
  }
  return 'n:' + String(Number(text));
}

/** The same normalised key for an id taken from a parsed message. */
export function idKeyOf(id: unknown): string | undefined {
  if (typeof id === 'string') {
    return 's:' + id;
  }
  if (typeof id === 'number') {
    return 'n:' + String(id);
  }
  if (id === null) {
    return 'null';
  }
  return undefined;
}
