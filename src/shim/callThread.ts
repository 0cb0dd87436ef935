// The per-call truth: Codex puts the thread in every `tools/call` request's `params._meta`
// (`threadId` in 0.125 and 0.169; `x-codex-turn-metadata.thread_id` as a second source). This
// reads it from the parsed message (messageClass.ts parses every line up to its bound).

import { isThreadId } from '../core/threadId';

export type CallThread =
  | { kind: 'none' }
  | { kind: 'id'; threadId: string }
  /** Present but not a UUID: never used to restart anything. */
  | { kind: 'invalid'; value: string };

const NONE: CallThread = { kind: 'none' };

/** Thread id carried by a parsed `tools/call` request. */
export function threadOfCall(message: unknown): CallThread {
  const meta = field(field(message, 'params'), '_meta');
  let value = field(meta, 'threadId');
  if (value === undefined) {
    value = field(field(meta, 'x-codex-turn-metadata'), 'thread_id');
  }
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
