// What the supervisor needs to know about one line of JSON-RPC: its kind, id and method, and for
// a line short enough to parse, the whole message. It never changes a line: the relay forwards the
// original bytes, whatever this module makes of them.
//
// A line up to MAX_PARSED_LINE bytes (or a client message whose content the shim must read, up to
// MAX_READ_MESSAGE; see supervisor.ts) is JSON.parse'd: V8's parser is the one implementation of
// JSON here, so escaped keys (`"\u0069d"`), duplicates and odd spacing mean what they mean. A
// longer line is streamed, not held, so it is classified from its ends: the simple members (`jsonrpc`,
// `id`, `method`) before its first structured member, read from a copy of its first bytes, and
// those after its last one, read from a copy of its last bytes (the TypeScript SDK writes `id`
// after a `result` of any size). Each end is cut out with one regular expression and handed to
// JSON.parse, so keys are decoded by the same parser.

/** Lines longer than this are classified from their ends and streamed, never held whole. */
export const MAX_PARSED_LINE = 64 * 1024;
/**
 * A client tools/call (whose thread must be known before it is passed on) or state-setting
 * message (kept for replay) is held and parsed up to this size; a larger one streams unchecked.
 */
export const MAX_READ_MESSAGE = 4 * 1024 * 1024;
/** How many bytes of each end of a long line are kept for classifying it. */
export const END_BYTES = 1024;

export type MessageKind = 'request' | 'notification' | 'response' | 'batch' | 'other';

export interface Message {
  kind: MessageKind;
  /** Normalised id (`idKey`) of a request or response. */
  id?: string;
  method?: string;
  /** A response that carries `error`. */
  isError?: boolean;
  /** The parsed message (only for lines up to MAX_PARSED_LINE). */
  parsed?: Record<string, unknown>;
  /** The members of a batch (an array line), each classified. */
  members?: Message[];
}

const OTHER: Message = { kind: 'other' };

/**
 * A JSON-RPC id as a map key: numbers and strings never collide (`1` and `"1"` are different
 * requests), and equal JSON values give equal keys (`1.0` and `1`). Undefined: not a valid id.
 */
export function idKey(id: unknown): string | undefined {
  if (typeof id === 'number' && Number.isFinite(id)) {
    return `n:${id}`;
  }
  if (typeof id === 'string') {
    return `s:${id}`;
  }
  return id === null ? 'null' : undefined;
}

/** The id a key was made from, as JSON.stringify would write it (for error responses). */
export function idFromKey(key: string): string | number | null {
  if (key.startsWith('n:')) {
    return Number(key.slice(2));
  }
  return key.startsWith('s:') ? key.slice(2) : null;
}

/** Classifies one parsed JSON value. */
export function classifyValue(value: unknown): Message {
  if (Array.isArray(value)) {
    return { kind: 'batch', members: value.map(classifyValue) };
  }
  if (value === null || typeof value !== 'object') {
    return OTHER;
  }
  const m = value as Record<string, unknown>;
  const message = classifyMembers(m);
  message.parsed = m;
  return message;
}

/** Classifies a whole line (`'\n'` and a `'\r'` before it may be included). */
export function classifyLine(line: Buffer): Message {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return OTHER;
  }
  return classifyValue(value);
}

const KEY = String.raw`"(?:[^"\\]|\\.)*"`;
const SIMPLE = String.raw`(?:"(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)`;
/** `{` then the simple members in front of the first structured one, then that one's key. */
const LEADING = new RegExp(String.raw`^\s*\{((?:\s*${KEY}\s*:\s*${SIMPLE}\s*,)*)\s*(${KEY})?`);
/** The simple members after the last structured one, up to the closing `}`. */
const TRAILING = new RegExp(String.raw`((?:,\s*${KEY}\s*:\s*${SIMPLE}\s*)*)\}\s*$`);

/**
 * Classifies a long line from a copy of its first bytes and, once it has ended, of its last bytes
 * (without the tail: what the head alone says). Only the envelope is known, never `parsed`.
 */
export function classifyEnds(head: Buffer, tail?: Buffer): Message {
  const start = head.toString('utf8', 0, Math.min(head.length, END_BYTES));
  const lead = LEADING.exec(start);
  if (lead === null) {
    return /^\s*\[/.test(start) ? { kind: 'batch' } : OTHER;
  }
  const members: Record<string, unknown> = parseMembers(lead[1].replace(/,\s*$/, ''));
  const firstStructured = lead[2] !== undefined ? parseMembers(`${lead[2]}:0`) : {};
  if (tail !== undefined) {
    const end = TRAILING.exec(tail.toString('utf8', Math.max(0, tail.length - END_BYTES)));
    if (end !== null && end[1] !== '') {
      Object.assign(members, parseMembers(end[1].slice(end[1].indexOf(',') + 1)));
    }
  }
  // The structured member decides what a message without `method` is: `result`/`error` make it
  // a response even when its id is not in either end.
  for (const key of Object.keys(firstStructured)) {
    if (members[key] === undefined) {
      members[key] = key === 'params' ? {} : true;
    }
  }
  return classifyMembers(members);
}

function parseMembers(text: string): Record<string, unknown> {
  try {
    return JSON.parse(`{${text}}`) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function classifyMembers(m: Record<string, unknown>): Message {
  const id = idKey(m.id);
  if (typeof m.method === 'string') {
    return id !== undefined ? { kind: 'request', id, method: m.method } : { kind: 'notification', method: m.method };
  }
  if ('result' in m || 'error' in m) {
    return { kind: 'response', id, isError: 'error' in m && !('result' in m) };
  }
  return OTHER;
}
