import { isThreadId } from '../threadId';
import { parseJsonPrefix } from './jsonPrefix';

/** What discovery uses from a rollout's first line (`session_meta`). */
export interface SessionMeta {
  readonly id: string;
  readonly sessionId?: string;
  readonly timestamp?: string;
  readonly cwd?: string;
  readonly originator?: string;
  readonly cliVersion?: string;
  /** `source` when it is a string (`exec`, `cli`, `vscode`, ...). */
  readonly source?: string;
  readonly threadSource?: string;
  readonly modelProvider?: string;
  /** From a sub-agent's `source` (`{"subagent":{"thread_spawn":{"parent_thread_id":...}}}`). */
  readonly parentThreadId?: string;
  readonly forkedFromId?: string;
  /** True when the line was longer than the read bound and only its prefix was parsed. */
  readonly truncated: boolean;
}

/**
 * Session metadata from the text of a rollout's first line, or undefined when it is not one.
 * `complete` says whether `line` is the whole line; when it is not, the members that were
 * complete before the cut are used (see jsonPrefix.ts). Throws nothing.
 */
export function sessionMetaFromLine(line: string, complete: boolean): SessionMeta | undefined {
  let record: unknown;
  let truncated = false;
  try {
    if (complete) {
      record = JSON.parse(line);
    } else {
      const r = parseJsonPrefix(line);
      record = r.value;
      truncated = !r.complete;
    }
  } catch {
    return undefined;
  }
  if (!isObject(record)) {
    return undefined;
  }
  // Current format: {"type":"session_meta","payload":{...}}. Early Codex wrote the meta object
  // itself as the first line ({"id":...,"timestamp":...,"instructions":...}).
  let payload: unknown;
  if (record.type === 'session_meta') {
    payload = record.payload;
  } else if (record.type === undefined && 'id' in record) {
    payload = record;
  }
  if (!isObject(payload)) {
    return undefined;
  }
  const id = threadIdOf(payload.id);
  if (!id) {
    return undefined;
  }
  const source = payload.source;
  return compact({
    id,
    sessionId: threadIdOf(payload.session_id),
    timestamp: str(payload.timestamp),
    cwd: str(payload.cwd),
    originator: str(payload.originator),
    cliVersion: str(payload.cli_version),
    source: str(source),
    threadSource: str(payload.thread_source),
    modelProvider: str(payload.model_provider),
    parentThreadId: threadIdOf(payload.parent_thread_id) ?? findParent(source, 0),
    forkedFromId: threadIdOf(payload.forked_from_id),
    truncated,
  });
}

/** A SessionMeta read back from a file discovery wrote (its head cache), checked member by member. */
export function checkedSessionMeta(v: unknown): SessionMeta | undefined {
  if (!isObject(v) || typeof v.truncated !== 'boolean') {
    return undefined;
  }
  const id = threadIdOf(v.id);
  if (!id) {
    return undefined;
  }
  return compact({
    id,
    sessionId: threadIdOf(v.sessionId),
    timestamp: str(v.timestamp),
    cwd: str(v.cwd),
    originator: str(v.originator),
    cliVersion: str(v.cliVersion),
    source: str(v.source),
    threadSource: str(v.threadSource),
    modelProvider: str(v.modelProvider),
    parentThreadId: threadIdOf(v.parentThreadId),
    forkedFromId: threadIdOf(v.forkedFromId),
    truncated: v.truncated,
  });
}

function findParent(v: unknown, depth: number): string | undefined {
  if (!isObject(v) || depth > 4) {
    return undefined;
  }
  const direct = threadIdOf(v.parent_thread_id);
  if (direct) {
    return direct;
  }
  for (const child of Object.values(v)) {
    const found = findParent(child, depth + 1);
    if (found) {
      return found;
    }
  }
  return undefined;
}

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function threadIdOf(v: unknown): string | undefined {
  if (typeof v !== 'string') {
    return undefined;
  }
  const id = v.trim().toLowerCase();
  return isThreadId(id) ? id : undefined;
}

/** A copy without undefined members, so objects compare and print cleanly. */
export function compact<T extends object>(o: T): T {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] !== undefined) {
      out[k] = o[k];
    }
  }
  return out as T;
}
