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
import { BACKSLASH, COLON, COMMA, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET, isSpace, sameBytes, startsAt, stringEnd } from './jsonBytes';

export type CallThread =
  | { kind: 'none' }
  | { kind: 'id'; threadId: string }
  /** Present but not a UUID: never used to restart anything. */
  | { kind: 'invalid'; value: string };

const NONE: CallThread = { kind: 'none' };
const WALK_ABOVE_BYTES = 16 * 1024;


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

const THREAD = Buffer.from('thread');
const UNICODE_ESCAPE = Buffer.from('\\u');
const THREAD_ID_KEY = Buffer.from('"threadId":"');
const THREAD_ID_SNAKE_KEY = Buffer.from('"thread_id":"');

/**
 * The steady-state answer, without parsing: true when the call in `buf[start, end)` can only be
 * for `expected` (36 lowercase bytes) or for no thread at all, which is all the relay needs to
 * know to pass it on. It holds when every `thread` in the line is a literal `"threadId"` or
 * `"thread_id"` key whose value is exactly `"<expected>"` and no `\u` escape could spell such a
 * key another way: then, for valid JSON, whatever threadOfCallLine would pick is `expected` or
 * nothing. False only means "not sure": the caller asks threadOfCallLine. Native searches only:
 * this runs before every call reaches the server, where each microsecond shows in the latency.
 */
export function callCanOnlyBeFor(buf: Buffer, start: number, end: number, expected: Buffer): boolean {
  if (end - start > SCAN_IN_JS_BELOW) {
    return piecesCanOnlyBeFor([buf.subarray(start, end)], expected);
  }
  // A typical call (Codex's are under 2 KB): one pass in JS finds every `thread` and `\u`, cheaper
  // than a slice and two native searches for a line this short.
  let sawThread = false;
  let sawEscape = false;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === BACKSLASH) {
      sawEscape ||= i + 1 < end && buf[i + 1] === 0x75;
    } else if (c === 0x74 && startsAt(buf, i, end, THREAD)) {
      sawThread = true;
      const after = keyWithExpectedValue(buf, i, start, end, expected);
      if (after < 0) {
        return false;
      }
      i = after - 1;
    }
  }
  return !(sawThread && sawEscape);
}

/**
 * The `thread` at `t` (within `b[start, end)`) begins a literal `"threadId":"` or `"thread_id":"`
 * key whose value is exactly `"<expected>"`: the index just after that value's closing quote, else -1.
 */
function keyWithExpectedValue(b: Buffer, t: number, start: number, end: number, expected: Buffer): number {
  const k = t - 1;
  if (k < start || b[k] !== QUOTE) {
    return -1;
  }
  const key = startsAt(b, k, end, THREAD_ID_KEY) ? THREAD_ID_KEY : startsAt(b, k, end, THREAD_ID_SNAKE_KEY) ? THREAD_ID_SNAKE_KEY : undefined;
  if (key === undefined) {
    return -1;
  }
  const v = k + key.length;
  const close = v + expected.length;
  return startsAt(b, v, end, expected) && close < end && b[close] === QUOTE ? close + 1 : -1;
}

/** Lines up to this long are scanned in JS; longer ones with native searches. */
const SCAN_IN_JS_BELOW = 2048;

/**
 * The same for a line held as the pieces it arrived in (a large call), without joining them. A
 * `thread` or `\u` across pieces (however many, however short), or a key and value that do not
 * lie within one piece, make it "not sure".
 */
export function piecesCanOnlyBeFor(pieces: readonly Buffer[], expected: Buffer): boolean {
  const SEAM = THREAD.length - 1;
  let sawThread = false;
  let sawEscape = false;
  // The last SEAM bytes of everything before the current piece, whatever pieces they came from:
  // with it, a word cut over several short pieces still shows whole at some seam.
  let carry = Buffer.alloc(0);
  for (let n = 0; n < pieces.length; n++) {
    const piece = pieces[n];
    if (n > 0) {
      const seam = Buffer.concat([carry, piece.subarray(0, SEAM)]);
      if (seam.indexOf(THREAD) >= 0 || seam.indexOf(UNICODE_ESCAPE) >= 0) {
        return false;
      }
    }
    const joined = piece.length >= SEAM ? piece : Buffer.concat([carry, piece]);
    carry = Buffer.from(joined.subarray(Math.max(0, joined.length - SEAM)));
    sawEscape ||= piece.indexOf(UNICODE_ESCAPE) >= 0;
    let t = piece.indexOf(THREAD);
    sawThread ||= t >= 0;
    while (t >= 0) {
      const after = keyWithExpectedValue(piece, t, 0, piece.length, expected);
      if (after < 0) {
        return false;
      }
      t = piece.indexOf(THREAD, after);
    }
  }
  // Without a literal `thread` the exact reading finds nothing either; with one, an escape might
  // spell another threadId key that only JSON.parse would see.
  return !(sawThread && sawEscape);
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
    const keyEnd = stringEndOrThrow(b, i);
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
    return stringEndOrThrow(b, i);
  }
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < b.length; ) {
      const d = b[j];
      if (d === QUOTE) {
        j = stringEndOrThrow(b, j);
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
function stringEndOrThrow(b: Buffer, i: number): number {
  const end = stringEnd(b, i, b.length);
  if (end < 0) {
    throw new NotSure();
  }
  return end;
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
