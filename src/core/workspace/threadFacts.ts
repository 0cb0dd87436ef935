// The fields of a context file that belong to the extension (what Codex's files say about the
// thread, and the workspace folders that contain it). Bindings belong to the shim: nothing here
// touches them, so the two writers merge field by field under the file's lock.
import type { CodexThread } from '../discovery/types';
import type { StartedBy, ThreadContext } from '../store/threadContext';

export interface ThreadFacts {
  startedBy: StartedBy;
  status: 'live' | 'ended';
  /** When the thread ended, if it did: the last activity discovery saw (the same in every window). */
  endedAt?: string;
  rolloutPath?: string;
  title?: string;
  codexVersion?: string;
  /** Workspace folders (normalised) that contain the thread's cwd. */
  folders: string[];
}

export function factsOf(t: CodexThread, folders: readonly string[], now: number): ThreadFacts {
  return {
    startedBy: t.kind,
    status: t.live ? 'live' : 'ended',
    ...(t.live ? {} : { endedAt: new Date(t.lastActivityAt ?? now).toISOString() }),
    ...(t.rolloutPath ? { rolloutPath: t.rolloutPath } : {}),
    ...(t.title ? { title: t.title } : {}),
    ...(t.cliVersion ? { codexVersion: t.cliVersion } : {}),
    folders: [...folders].sort(),
  };
}

/**
 * Brings `ctx` up to date with `facts`; returns true when anything changed. Deterministic, so
 * that several windows applying the same facts agree: the first one writes, the others find
 * nothing to change. Never removes what another writer knew (folders are a union, an end time
 * once written stays, unknown values do not erase known ones).
 */
export function applyThreadFacts(ctx: ThreadContext, facts: ThreadFacts): boolean {
  const t = ctx.thread;
  let changed = false;
  const set = <K extends 'startedBy' | 'rolloutPath' | 'title' | 'codexVersion'>(key: K, value: ThreadContext['thread'][K] | undefined): void => {
    if (value !== undefined && t[key] !== value) {
      t[key] = value;
      changed = true;
    }
  };
  if (facts.startedBy !== 'unknown') {
    set('startedBy', facts.startedBy);
  }
  set('rolloutPath', facts.rolloutPath);
  set('title', facts.title);
  set('codexVersion', facts.codexVersion);
  if (facts.status === 'live') {
    if (t.status !== 'live' || t.endedAt !== undefined) {
      t.status = 'live';
      delete t.endedAt;
      changed = true;
    }
  } else if (t.status !== 'ended') {
    t.status = 'ended';
    t.endedAt = facts.endedAt ?? new Date().toISOString();
    changed = true;
  }
  const folders = [...new Set([...ctx.workspace.folders, ...facts.folders])].sort();
  if (folders.length !== ctx.workspace.folders.length || folders.some((f, i) => f !== ctx.workspace.folders[i])) {
    ctx.workspace.folders = folders;
    changed = true;
  }
  return changed;
}
