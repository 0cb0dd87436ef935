// Rate-limited clean-up of the context store, for callers that start often (every shim at exit,
// the extension at activation): at most one gc per `minIntervalMs` across all of them. The time
// of the last run is kept in the store (`<root>/gc.json`), written before the run, so callers
// that finish at the same moment mostly skip; two that both run do no harm (gc re-checks every
// file under its lock).
import * as path from 'node:path';
import type { ContextStore } from './contextStore';
import { readFileBoundedOrUndefined, writeFileAtomic } from './secureFs';

export interface GcIfDueOptions {
  /** Remove threads that are over and unchanged for this many days (and logs as old). Default 7. */
  days?: number;
  /** Skip when the last run (by anyone) is more recent than this. Default 1 hour. */
  minIntervalMs?: number;
  now?: number;
}

export const GC_STATE_FILE = 'gc.json';

/** Runs `store.gc(days)` unless it ran less than `minIntervalMs` ago; returns what was removed, or undefined when skipped. */
export async function gcIfDue(store: ContextStore, options: GcIfDueOptions = {}): Promise<string[] | undefined> {
  const now = options.now ?? Date.now();
  const minIntervalMs = options.minIntervalMs ?? 3_600_000;
  const stateFile = path.join(store.root, GC_STATE_FILE);
  const state = readFileBoundedOrUndefined(stateFile, 4096);
  if (state === undefined) {
    return undefined; // the store is not readable: nothing to clean here
  }
  if (state.kind === 'ok') {
    try {
      const last = Date.parse((JSON.parse(state.text) as { lastRunAt?: string }).lastRunAt ?? '');
      if (Number.isFinite(last) && now - last < minIntervalMs && last <= now) {
        return undefined;
      }
    } catch {
      // unreadable state: run, and rewrite it
    }
  } else if (state.kind === 'missing' && !(await store.exists())) {
    return undefined; // no store yet: nothing to clean, and nothing to create
  }
  await writeFileAtomic(stateFile, JSON.stringify({ lastRunAt: new Date(now).toISOString() }) + '\n');
  return store.gc(options.days ?? 7, now);
}
