// Checks a parsed context file against the schema (schema/thread-context.schema.json describes
// the same rules). Hand-written so that the shim bundle stays small: a schema validator library
// would be most of its size.
import { isThreadId } from '../threadId';
import { SCHEMA_VERSION, type ThreadContext } from './threadContext';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isTime = (v: unknown): boolean => isStr(v) && !Number.isNaN(Date.parse(v));
/**
 * Kinds and states (`startedBy`, `status`, `resolvedBy`, a correction's `action`) are open sets:
 * a newer shim or extension sharing the store may write a value this one does not know (binding
 * status `failed` came that way). Such a file is valid, since moving it aside as corrupt would lose
 * the newer writer's data; readers show an unknown value as it is (see bindingState.ts).
 */
const isName = (v: unknown): boolean => isStr(v) && v.length > 0;

/** Returns the list of problems; empty means valid. */
export function validateThreadContext(value: unknown): string[] {
  const errors: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) {
      errors.push(what);
    }
  };
  if (!isObj(value)) {
    return ['not a JSON object'];
  }
  need(value.schemaVersion === SCHEMA_VERSION, `schemaVersion must be ${SCHEMA_VERSION}`);
  const t = value.thread;
  if (!isObj(t)) {
    errors.push('thread must be an object');
  } else {
    need(isThreadId(t.id), 'thread.id must be a UUID');
    need(isStr(t.cwd) && t.cwd.length > 0, 'thread.cwd must be a non-empty string');
    need(t.startedAt === undefined || isTime(t.startedAt), 'thread.startedAt must be an ISO time');
    need(isName(t.startedBy), 'thread.startedBy must be a non-empty string');
    need(isName(t.status), 'thread.status must be a non-empty string');
    need(t.rolloutPath === undefined || isStr(t.rolloutPath), 'thread.rolloutPath must be a string');
    need(t.endedAt === undefined || isTime(t.endedAt), 'thread.endedAt must be an ISO time');
    need(t.title === undefined || isStr(t.title), 'thread.title must be a string');
    need(t.codexVersion === undefined || isStr(t.codexVersion), 'thread.codexVersion must be a string');
  }
  const w = value.workspace;
  if (!isObj(w)) {
    errors.push('workspace must be an object');
  } else {
    need(isStr(w.key), 'workspace.key must be a string');
    need(Array.isArray(w.folders) && w.folders.every(isStr), 'workspace.folders must be a list of strings');
  }
  if (value.terminal !== undefined) {
    const term = value.terminal;
    need(isObj(term) && isStr(term.name) && (term.processId === undefined || isInt(term.processId)), 'terminal must be {name, processId?}');
  }
  if (!Array.isArray(value.bindings)) {
    errors.push('bindings must be a list');
  } else {
    value.bindings.forEach((b, i) => {
      const at = `bindings[${i}]`;
      if (!isObj(b)) {
        errors.push(`${at} must be an object`);
        return;
      }
      need(isStr(b.server) && b.server.length > 0, `${at}.server must be a non-empty string`);
      need(isInt(b.shimPid), `${at}.shimPid must be an integer`);
      need(b.serverPid === undefined || isInt(b.serverPid), `${at}.serverPid must be an integer`);
      need(isName(b.resolvedBy), `${at}.resolvedBy must be a non-empty string`);
      need(isName(b.status), `${at}.status must be a non-empty string`);
      need(isTime(b.startedAt), `${at}.startedAt must be an ISO time`);
      need(b.endedAt === undefined || isTime(b.endedAt), `${at}.endedAt must be an ISO time`);
      need(b.exitCode === undefined || isInt(b.exitCode), `${at}.exitCode must be an integer`);
      need(b.exitSignal === undefined || isStr(b.exitSignal), `${at}.exitSignal must be a string`);
      need(isInt(b.callCount) && (b.callCount as number) >= 0, `${at}.callCount must be a non-negative integer`);
      need(b.lastCallAt === undefined || isTime(b.lastCallAt), `${at}.lastCallAt must be an ISO time`);
      need(b.stderrLog === undefined || isStr(b.stderrLog), `${at}.stderrLog must be a string`);
      if (!Array.isArray(b.corrections)) {
        errors.push(`${at}.corrections must be a list`);
      } else {
        b.corrections.forEach((c, j) => {
          const ok =
            isObj(c) && isTime(c.at) && (c.from === undefined || isThreadId(c.from)) && isThreadId(c.to) && isName(c.action);
          need(ok, `${at}.corrections[${j}] must be {at, from?, to, action}`);
        });
      }
    });
  }
  need(isTime(value.updatedAt), 'updatedAt must be an ISO time');
  return errors;
}

export function isValidThreadContext(value: unknown): value is ThreadContext {
  return validateThreadContext(value).length === 0;
}
