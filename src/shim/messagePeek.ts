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

import {
  BACKSLASH,
  COLON,
  COMMA,
  LBRACE,
  LBRACKET,
  QUOTE,
  RBRACE,
  RBRACKET,
  escaped,
  isSpace,
  sameBytes,
  startsAt,
  stringEnd,
} from './jsonBytes';

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
  if (whole && peekCommonShape(head, hs, he, peek)) {
    return peek;
  }
  // The shortcut may have filled in fields before the shape failed: the scans start clean.
  peek.id = undefined;
  peek.method = undefined;
  return scanEnvelope(head, hs, he, tail, ts, te, whole, peek);
}

/** peekLine without the common-shape shortcut (the tests check that both agree). */
export function peekLineByScans(buf: Buffer, start: number, end: number): Peek {
  const peek: Peek = { object: false, method: undefined, id: undefined, body: undefined, complete: false };
  return scanEnvelope(buf, start, end, buf, start, end, true, peek);
}

function scanEnvelope(head: Buffer, hs: number, he: number, tail: Buffer, ts: number, te: number, whole: boolean, peek: Peek): Peek {
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

// ---- the common shapes --------------------------------------------------------------------------
//
// Codex (rmcp) and the Python and Rust SDKs write `{"jsonrpc":"2.0","id":…,"method":"…","params":{…}}`
// and `{"jsonrpc":"2.0","id":…,"result":{…}}`, in that order, without spaces. Lines of exactly that
// shape are read with a few native comparisons instead of the member scans: every line passes here,
// and in a request-reply exchange each microsecond of work shows up (amplified) in the round trip.
// The result is what the scans would give; any other shape returns false and takes the scans.

const JSONRPC_ID = Buffer.from('{"jsonrpc":"2.0","id":');
const JSONRPC_METHOD = Buffer.from('{"jsonrpc":"2.0","method":"');
const COMMA_METHOD = Buffer.from(',"method":"');
const COMMA_PARAMS = Buffer.from(',"params":');
const COMMA_RESULT = Buffer.from(',"result":');
const COMMA_ERROR = Buffer.from(',"error":');
/** Longer digit runs may not survive Number() unchanged; the scans normalise those. */
const MAX_PLAIN_DIGITS = 15;
const MAX_PLAIN_STRING = 128;

/** End (exclusive) of a string without escapes whose opening quote is at `q`, or -1. */
function plainStringEnd(b: Buffer, q: number, end: number): number {
  const stop = Math.min(end, q + 1 + MAX_PLAIN_STRING);
  for (let k = q + 1; k < stop; k++) {
    const c = b[k];
    if (c === QUOTE) {
      return k + 1;
    }
    if (c === BACKSLASH) {
      return -1;
    }
  }
  return -1;
}

function peekCommonShape(b: Buffer, s: number, e: number, peek: Peek): boolean {
  let i: number;
  if (startsAt(b, s, e, JSONRPC_ID)) {
    i = s + JSONRPC_ID.length;
    const vs = i;
    if (b[i] === QUOTE) {
      i = plainStringEnd(b, i, e);
      if (i < 0) {
        return false;
      }
      peek.id = 's:' + b.toString('utf8', vs + 1, i - 1);
    } else {
      // The value in JS rather than a decoded slice: no call into native code for the commonest id.
      let value = 0;
      while (i < e && b[i] >= 0x30 && b[i] <= 0x39) {
        value = value * 10 + (b[i] - 0x30);
        i++;
      }
      const digits = i - vs;
      if (digits === 0 || digits > MAX_PLAIN_DIGITS || (digits > 1 && b[vs] === 0x30)) {
        return false;
      }
      peek.id = 'n:' + value;
    }
    if (startsAt(b, i, e, COMMA_METHOD)) {
      i = methodEnd(b, i + COMMA_METHOD.length - 1, e, peek);
    } else if (startsAt(b, i, e, COMMA_RESULT)) {
      return structuredToEnd(b, i + COMMA_RESULT.length, e, 'result', peek);
    } else if (startsAt(b, i, e, COMMA_ERROR)) {
      return structuredToEnd(b, i + COMMA_ERROR.length, e, 'error', peek);
    } else {
      return false;
    }
  } else if (startsAt(b, s, e, JSONRPC_METHOD)) {
    i = methodEnd(b, s + JSONRPC_METHOD.length - 1, e, peek);
  } else {
    return false;
  }
  if (i < 0) {
    return false;
  }
  if (i < e && b[i] === RBRACE) {
    peek.object = true;
    peek.complete = true;
    return true;
  }
  return startsAt(b, i, e, COMMA_PARAMS) && structuredToEnd(b, i + COMMA_PARAMS.length, e, 'params', peek);
}

/** Reads the method string whose opening quote is at `q`; returns the index after it, or -1. */
function methodEnd(b: Buffer, q: number, e: number, peek: Peek): number {
  const end = plainStringEnd(b, q, e);
  if (end >= 0) {
    peek.method = methodText(b, q + 1, end - 1);
  }
  return end;
}

/**
 * Method names seen so far, by length: a session uses a few dozen, and matching bytes against them
 * costs less than decoding a new string for every line. Bounded; names past the bound are decoded.
 */
const knownMethods = new Map<number, { bytes: Buffer; text: string }[]>();
let knownMethodCount = 0;
const MAX_KNOWN_METHODS = 64;

function methodText(b: Buffer, s: number, e: number): string {
  const sameLength = knownMethods.get(e - s);
  if (sameLength !== undefined) {
    for (const m of sameLength) {
      if (sameBytes(b, s, e, m.bytes)) {
        return m.text;
      }
    }
  }
  const text = b.toString('utf8', s, e);
  if (knownMethodCount < MAX_KNOWN_METHODS) {
    knownMethodCount++;
    const entry = { bytes: Buffer.from(b.subarray(s, e)), text };
    if (sameLength === undefined) {
      knownMethods.set(e - s, [entry]);
    } else {
      sameLength.push(entry);
    }
  }
  return text;
}

/**
 * The structured member `body` starts at `v`; the shape holds when it is an object or array that
 * closes right before the line's final `}`: then nothing follows it that the back scan would read.
 */
function structuredToEnd(b: Buffer, v: number, e: number, body: string, peek: Peek): boolean {
  if (b[v] !== LBRACE && b[v] !== LBRACKET) {
    return false;
  }
  let j = e - 1;
  while (j > v && isSpace(b[j])) {
    j--;
  }
  if (j <= v + 1 || b[j] !== RBRACE || (b[j - 1] !== RBRACE && b[j - 1] !== RBRACKET)) {
    return false;
  }
  peek.object = true;
  peek.body = body;
  peek.complete = true;
  return true;
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
    const keyEnd = stringEnd(b, i, end);
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
      i = stringEnd(b, i, end);
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

const KEY_ID = Buffer.from('"id"');
const KEY_METHOD = Buffer.from('"method"');
const BODY_KEYS = ['params', 'result', 'error'].map((k) => [Buffer.from(`"${k}"`), k] as const);

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
