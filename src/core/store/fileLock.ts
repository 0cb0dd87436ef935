// Cross-process lock for one store file, built on proper-lockfile: a lock directory created with
// mkdir (atomic on every platform and on network file systems) whose mtime the holder refreshes.
// A holder that dies (even by SIGKILL) stops refreshing it, and after `staleMs` others take over.
//
// Two things are added on top of the library:
// - Its default reaction to a compromised lock is to throw from a timer, which would crash the
//   extension host. Here compromise only marks the lock as lost and is reported through `onProblem`.
// - Two waiters can both judge the same dead lock stale and both "take it over" (a known gap in
//   mkdir-based locks). A fence file beside the lock records the latest owner; a holder checks it
//   right before it commits, so of two such holders only one writes and the other retries.
// - Codex SIGKILLs an MCP server's process (the shim) tens of milliseconds after SIGTERM, so a
//   shim can die holding a lock. The fence names the holder's host and pid; a lock whose holder
//   is a dead process on this host is taken over at once instead of after the stale timeout.
import * as fsp from 'node:fs/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { randomBytes } from 'node:crypto';
import * as lockfile from 'proper-lockfile';
import { FILE_MODE } from './secureFs';
import { isProcessAlive } from '../processAlive';

export interface LockOptions {
  /** A lock not refreshed for this long is taken over. proper-lockfile's floor is 2000 ms. */
  staleMs: number;
  /** Give up waiting after this long (a clear error, never a hang). */
  waitMs: number;
  onProblem: (message: string) => void;
}

export class LockTimeoutError extends Error {
  constructor(file: string, waitedMs: number) {
    super(`context store: timed out after ${waitedMs} ms waiting for the lock on ${file}`);
    this.name = 'LockTimeoutError';
  }
}

/** Thrown (and retried by the store) when another process took over the lock before we committed. */
export class LockLostError extends Error {
  constructor(file: string) {
    super(`context store: lost the lock on ${file} to another process before committing`);
    this.name = 'LockLostError';
  }
}

export interface HeldLock {
  /** Throws LockLostError if this process no longer owns the lock. Cheap, synchronous. */
  assertHeld(): void;
  /** How long acquiring took, for the benchmark. */
  readonly waitedMs: number;
}

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

export async function withFileLock<T>(file: string, options: LockOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const token = `${os.hostname()}:${process.pid}:${randomBytes(8).toString('hex')}`;
  const fencePath = `${file}.owner`;
  let compromised = false;
  const started = performance.now();
  const deadline = Date.now() + options.waitMs;
  let delay = 2;
  let release: (() => Promise<void>) | undefined;
  for (;;) {
    try {
      release = await lockfile.lock(file, {
        realpath: false, // the file may not exist yet, and resolving symlinks is what we must not do
        stale: options.staleMs,
        retries: 0, // the wait loop below owns back-off and the deadline
        onCompromised: (err: Error) => {
          compromised = true;
          options.onProblem(`context store: lock on ${file} was compromised (${err.message}); the update will be retried`);
        },
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw err;
      }
      if (await breakIfHolderDead(file, fencePath)) {
        continue;
      }
      if (Date.now() >= deadline) {
        throw new LockTimeoutError(file, Math.round(performance.now() - started));
      }
      // Jittered back-off, capped low: waiters are other short updates, not long holders.
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 25);
    }
  }
  const waitedMs = performance.now() - started;
  try {
    await writeFence(fencePath, token);
    const held: HeldLock = {
      waitedMs,
      assertHeld() {
        if (compromised || readFence(fencePath) !== token) {
          throw new LockLostError(file);
        }
      },
    };
    return await fn(held);
  } finally {
    await release().catch((err: Error) => {
      // Releasing a lock someone took over fails; the data is safe either way.
      options.onProblem(`context store: releasing the lock on ${file}: ${err.message}`);
    });
  }
}

/** A lock younger than this is never broken for a dead owner: its new holder may not have written the fence yet. */
const FRESH_LOCK_MS = 250;

/**
 * Removes the lock when the fence says its holder is a process on this host that no longer
 * exists. Other hosts' pids (a store on a shared file system) and containers' pids (another
 * hostname) are left to the stale timeout.
 */
async function breakIfHolderDead(file: string, fencePath: string): Promise<boolean> {
  const [host, pidText] = (readFence(fencePath) ?? '').split(':');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid || isProcessAlive(pid)) {
    return false;
  }
  const lockDir = `${file}.lock`;
  try {
    const st = await fsp.stat(lockDir);
    if (Date.now() - st.mtimeMs < FRESH_LOCK_MS) {
      return false;
    }
    await fsp.rmdir(lockDir);
    return true;
  } catch {
    return false; // released meanwhile, or someone else broke it: just try again
  }
}

async function writeFence(fencePath: string, token: string): Promise<void> {
  // Not atomic on purpose: it is written only while the lock is held, and a torn read simply
  // fails the ownership check, which makes the holder retry (safe).
  const handle = await fsp.open(fencePath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | O_NOFOLLOW, FILE_MODE);
  try {
    await handle.writeFile(token);
  } finally {
    await handle.close();
  }
}

function readFence(fencePath: string): string | undefined {
  try {
    return fs.readFileSync(fencePath, 'utf8');
  } catch {
    return undefined;
  }
}
