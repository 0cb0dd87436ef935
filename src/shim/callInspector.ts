// The per-call truth: Codex puts the thread in every `tools/call` request's `params._meta`
// (`threadId`; 0.125 and 0.169 both; `x-codex-turn-metadata.thread_id` as a second source).
//
// Only lines the envelope peek has already identified as `tools/call` requests get here. A line
// without the word `thread` is not looked at further. A typical call (under 16 KB; Codex's _meta
// alone is most of it) goes to JSON.parse, which V8 does faster than any walk in JS (about 4 µs
// for 750 bytes here). A large one (big tool arguments) is walked instead: straight down
// params -> _meta -> threadId, skipping every other value without building it, which measured
// 3.5 times faster on a 1.4 MB call and allocates nothing. Anything the walk is not sure about
// (an escaped key, a structure it cannot follow) falls back to JSON.parse; for valid JSON both
// give the same answer (the tests check that).

import { isThreadId } from '../core/threadId';

export type CallThread =
  | { kind: 'none' }
  | { kind: 'id'; threadId: string }
  /** Present but not a UUID: never used to restart anything. */
  | { kind: 'invalid'; value: string };

const NONE: CallThread = { kind: 'none' };
const WALK_ABOVE_BYTES = 16 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

const PARAMS = Buffer.from('"params"');
const META = Buffer.from('"_meta"');
const THREAD_ID = Buffer.from('"threadId"');
const TURN_METADATA = Buffer.from('"x-codex-turn-metadata"');
const THREAD_ID_SNAKE = Buffer.from('"thread_id"');

/** The walk met something only a real parser should judge. */
class NotSure extends Error {}

/** Thread id carried by the `tools/call` request in `buf[start, end)`. Never throws. */
export function threadOfCallLine(buf: Buffer, start: number, end: number): CallThread {
  const line = buf.subarray(start, end);
  if (line.indexOf('thread') < 0) {
    return NONE;
  }
  if (line.length > WALK_ABOVE_BYTES) {
    try {
      return walk(line);
    } catch {
      // not sure: let JSON.parse decide
    }
  }
  let message: unknown;
  try {
    message = JSON.parse(line.toString('utf8'));
  } catch {
    return NONE;
  }
  return threadOfCallMessage(message);
}

/** The walk alone (exported for the tests, which compare it with JSON.parse on small calls too). */
export function threadOfCallLineByWalk(buf: Buffer, start: number, end: number): CallThread {
  try {
    return walk(buf.subarray(start, end));
  } catch {
    return threadOfCallMessage(JSON.parse(buf.toString('utf8', start, end)));
  }
}

/** Same, for an already parsed message (batches are parsed whole). */
export function threadOfCallMessage(message: unknown): CallThread {
  const meta = field(field(message, 'params'), '_meta');
  let value = field(meta, 'threadId');
  if (value === undefined) {
    value = field(field(meta, 'x-codex-turn-metadata'), 'thread_id');
  }
  return judge(value);
}

function judge(value: unknown): CallThread {
  if (value === undefined || value === null) {
    return NONE;
  }
  if (typeof value === 'string') {
    const id = value.trim().toLowerCase();
    if (isThreadId(id)) {
      return { kind: 'id', threadId: id };
    }
  }
  return { kind: 'invalid', value: String(value).slice(0, 80) };
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

// ---- the walk -----------------------------------------------------------------------------------

function walk(b: Buffer): CallThread {
  const top = skipSpace(b, 0);
  if (b[top] !== LBRACE) {
    throw new NotSure();
  }
  const params = member(b, top, PARAMS);
  if (params === undefined || b[params[0]] !== LBRACE) {
    return NONE;
  }
  const meta = member(b, params[0], META);
  if (meta === undefined || b[meta[0]] !== LBRACE) {
    return NONE;
  }
  let value = member(b, meta[0], THREAD_ID);
  if (value === undefined) {
    const turn = member(b, meta[0], TURN_METADATA);
    if (turn === undefined || b[turn[0]] !== LBRACE) {
      return NONE;
    }
    value = member(b, turn[0], THREAD_ID_SNAKE);
    if (value === undefined) {
      return NONE;
    }
  }
  return judge(JSON.parse(b.toString('utf8', value[0], value[1])));
}

/**
 * The value range `[start, end)` of member `key` (with its quotes) in the object whose '{' is at
 * `open`, or undefined when it has no such member. JSON.parse keeps the last of duplicate keys, so
 * the walk does too.
 */
function member(b: Buffer, open: number, key: Buffer): [number, number] | undefined {
  let found: [number, number] | undefined;
  let i = skipSpace(b, open + 1);
  if (b[i] === RBRACE) {
    return undefined;
  }
  for (;;) {
    if (b[i] !== QUOTE) {
      throw new NotSure();
    }
    const keyEnd = stringEnd(b, i);
    const isKey = sameBytes(b, i, keyEnd, key);
    if (!isKey && hasBackslash(b, i, keyEnd)) {
      throw new NotSure(); // an escaped key might spell the one we look for
    }
    i = skipSpace(b, keyEnd);
    if (b[i] !== COLON) {
      throw new NotSure();
    }
    const valueStart = skipSpace(b, i + 1);
    const valueEnd = skipValue(b, valueStart);
    if (isKey) {
      found = [valueStart, valueEnd];
    }
    i = skipSpace(b, valueEnd);
    if (b[i] === COMMA) {
      i = skipSpace(b, i + 1);
    } else if (b[i] === RBRACE) {
      return found;
    } else {
      throw new NotSure();
    }
  }
}

function skipValue(b: Buffer, i: number): number {
  const c = b[i];
  if (c === QUOTE) {
    return stringEnd(b, i);
  }
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < b.length; ) {
      const d = b[j];
      if (d === QUOTE) {
        j = stringEnd(b, j);
        continue;
      }
      if (d === LBRACE || d === LBRACKET) {
        depth++;
      } else if (d === RBRACE || d === RBRACKET) {
        if (--depth === 0) {
          return j + 1;
        }
      }
      j++;
    }
    throw new NotSure();
  }
  let j = i;
  while (j < b.length && b[j] !== COMMA && b[j] !== RBRACE && b[j] !== RBRACKET && !isSpace(b[j])) {
    j++;
  }
  if (j === i) {
    throw new NotSure();
  }
  return j;
}

/** Index just after the closing quote of the string whose opening quote is at `i`. */
function stringEnd(b: Buffer, i: number): number {
  // Most strings are short: a plain loop beats a call into native indexOf.
  const near = Math.min(b.length, i + 48);
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
    if (q < 0) {
      throw new NotSure();
    }
    let backslashes = 0;
    for (let k = q - 1; k > i && b[k] === BACKSLASH; k--) {
      backslashes++;
    }
    if (backslashes % 2 === 0) {
      return q + 1;
    }
  }
}

function hasBackslash(b: Buffer, s: number, e: number): boolean {
  for (let k = s; k < e; k++) {
    if (b[k] === BACKSLASH) {
      return true;
    }
  }
  return false;
}

function skipSpace(b: Buffer, i: number): number {
  while (i < b.length && isSpace(b[i])) {
    i++;
  }
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

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
