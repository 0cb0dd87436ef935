import * as fs from 'node:fs';
import * as path from 'node:path';
import { isThreadId } from '../threadId';
import { DiscoveryLogger } from './types';

// Codex 0.169 creates `thread-writer-locks/<thread id>.lock` when a thread starts (before any MCP
// server is spawned), holds it while the thread is loaded and deletes it when the thread unloads.
// Older Codex versions write no lock files. Only the names are read, plus, on Linux, whether
// anyone holds the lock: Codex holds an flock on the file while the thread is loaded (seen in
// /proc/locks with 0.169), and a Codex that was killed (SIGKILL, OOM, reboot) leaves the file
// behind with no lock on it. Such a stale file does not make its thread live. A file younger than
// the grace period always counts, as Codex takes the flock just after creating it.

export const LOCKS_DIR = 'thread-writer-locks';
const LOCK_NAME = /^(.+)\.lock$/;

export interface LiveLocks {
  /** False when the folder is missing: this Codex home was never used by a Codex that writes locks. */
  readonly dirExists: boolean;
  /** Threads with a lock file that is held (or cannot be checked). */
  readonly ids: ReadonlySet<string>;
  /** Threads with a lock file nobody holds (Linux only). */
  readonly stale: ReadonlySet<string>;
}

export interface LiveLockOptions {
  /** Check /proc/locks for a holder (Linux). Default true. */
  readonly detectStale?: boolean;
  /** Lock files younger than this always count as held. Default 10 s. */
  readonly staleGraceMs?: number;
  readonly now?: number;
  /** For tests: where the kernel's lock table is. */
  readonly procLocksPath?: string;
}

const PROC_LOCKS_MAX_BYTES = 4 * 1024 * 1024;

/**
 * One thread's lock file, for callers that need an answer in microseconds (the shim at exit, the
 * store's clean-up): `held` while it exists, `gone` once Codex deleted it (the thread unloaded),
 * `no-locks` when this Codex home has no lock folder (a Codex that writes none: no evidence).
 * Existence only: a lock file a killed Codex left behind still counts as held.
 */
export function threadLockFile(codexHome: string, threadId: string): 'held' | 'gone' | 'no-locks' {
  const dir = path.join(codexHome, LOCKS_DIR);
  if (isThreadId(threadId) && fs.existsSync(path.join(dir, `${threadId}.lock`))) {
    return 'held';
  }
  return fs.existsSync(dir) ? 'gone' : 'no-locks';
}

/** Synchronous: a listing and a stat per lock take microseconds; see rolloutHead.ts for why that matters. */
export function readLiveLocks(codexHome: string, logger: DiscoveryLogger, options: LiveLockOptions = {}): LiveLocks {
  const dir = path.join(codexHome, LOCKS_DIR);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      logger.debug(`discovery: cannot list ${dir}: ${code ?? String(err)}`);
    }
    return { dirExists: code !== 'ENOENT' && code !== 'ENOTDIR', ids: new Set(), stale: new Set() };
  }
  const ids = new Set<string>();
  for (const e of entries) {
    const m = LOCK_NAME.exec(e.name);
    if (!m || !isThreadId(m[1])) {
      if (e.name !== '.coordination.lock') {
        logger.debug(`discovery: ignoring ${path.join(dir, e.name)}: not <thread id>.lock`);
      }
      continue;
    }
    if (!e.isFile()) {
      logger.debug(`discovery: ignoring ${path.join(dir, e.name)}: not a regular file`);
      continue;
    }
    ids.add(m[1]);
  }
  const stale = new Set<string>();
  if (ids.size > 0 && (options.detectStale ?? true) && (options.procLocksPath || process.platform === 'linux')) {
    const held = heldInodes(options.procLocksPath ?? '/proc/locks');
    const now = options.now ?? Date.now();
    const grace = options.staleGraceMs ?? 10_000;
    if (held) {
      for (const id of ids) {
        try {
          const st = fs.lstatSync(path.join(dir, `${id}.lock`));
          if (!held.has(st.ino) && now - st.mtimeMs > grace) {
            stale.add(id);
          }
        } catch {
          stale.add(id); // deleted meanwhile: the thread has unloaded
        }
      }
      for (const id of stale) {
        ids.delete(id);
        logger.debug(`discovery: ${path.join(dir, id + '.lock')} is held by no process: treating the thread as ended`);
      }
    }
  }
  return { dirExists: true, ids, stale };
}

/**
 * Inode numbers of every file with a lock in the kernel's table, or undefined when it cannot be
 * read. Lines look like `2: FLOCK  ADVISORY  WRITE 6785 fe:00:2146960 0 EOF` (device major:minor
 * in hex, then the inode). Matching the inode alone can only make a stale file look held.
 */
function heldInodes(procLocks: string): Set<number> | undefined {
  let text: string;
  try {
    const fd = fs.openSync(procLocks, 'r');
    try {
      const buf = Buffer.allocUnsafe(PROC_LOCKS_MAX_BYTES);
      let len = 0;
      for (;;) {
        const bytesRead = fs.readSync(fd, buf, len, buf.length - len, null);
        if (bytesRead === 0) {
          break;
        }
        len += bytesRead;
        if (len >= buf.length) {
          return undefined; // too many locks to be sure: do not call anything stale
        }
      }
      text = buf.toString('latin1', 0, len);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const out = new Set<number>();
  for (const m of text.matchAll(/\s[0-9a-f]+:[0-9a-f]+:(\d+)\s/g)) {
    out.add(Number(m[1]));
  }
  return out;
}
