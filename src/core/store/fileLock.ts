// Cross-process lock for one store file, built on proper-lockfile: a lock directory created with
// mkdir (atomic on every platform and on network file systems) whose mtime the holder refreshes.
// A holder that dies (even by SIGKILL) stops refreshing it, and after `staleMs` others take over.
//
// Added on top of the library:
// - Its default reaction to a compromised lock is to throw from a timer, which would crash the
//   extension host. Here compromise only marks the lock as lost and is reported through `onProblem`.
// - The holder writes its token (host, pid, random) into the lock directory itself
//   (`<file>.lock/owner`). The token belongs to that lock directory and to no other: it goes when
//   the directory goes (release, stale take-over), so nothing is left beside the file.
// - Two waiters can both judge the same dead lock stale and both "take it over" (a known gap in
//   mkdir-based locks). A holder checks that the lock directory still holds its own token right
//   before it commits, so of two such holders only one writes and the other retries. A waiter
//   whose fresh directory the other removed before proper-lockfile stamped it waits and retries.
// - Codex SIGKILLs an MCP server's process (the shim) tens of milliseconds after SIGTERM, so a
//   shim can die holding a lock. A lock whose own token names a dead process on this host is
//   taken over at once instead of after the stale timeout. A lock directory without a token (its
//   holder has just created it) is never broken early: there is no evidence about it.
// - Lockers of one file in one process take turns before they reach proper-lockfile, which keeps
//   one record per path per process (see inProcessTails).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
  /** Stop waiting when this aborts (the caller's deadline). */
  signal?: AbortSignal;
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

/** The caller's deadline passed (its AbortSignal fired) before the lock was taken or the write committed. */
export class DeadlineError extends Error {
  constructor(what: string) {
    super(`context store: deadline passed before ${what}`);
    this.name = 'DeadlineError';
  }
}

export interface HeldLock {
  /** Throws LockLostError if this process no longer owns the lock (or DeadlineError). Cheap, synchronous. */
  assertHeld(): void;
  /** How long acquiring took, for the benchmark. */
  readonly waitedMs: number;
}

const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
/** The holder's token, inside the lock directory. */
const OWNER = 'owner';

/** Removes a lock directory and the token in it. */
function removeLockDirSync(dir: string): void {
  try {
    fs.unlinkSync(path.join(dir, OWNER));
  } catch {
    // not written yet, or gone
  }
  fs.rmdirSync(dir);
}

/**
 * The file system proper-lockfile uses for one lock. It removes a lock directory with rmdir (a
 * stale one while acquiring; ours at release); ours holds the token, so remove that first. Once
 * acquired, only a directory that still holds this lock's own token is removed: a holder that lost
 * its fresh directory to another waiter must not remove the one that replaced it.
 */
function lockFsFor(lock: { acquired: boolean; token: string }): typeof fs {
  const mayRemove = (dir: string): boolean => !lock.acquired || readOwner(dir) === lock.token;
  return {
    ...fs,
    rmdir(dir: string, cb: (err: NodeJS.ErrnoException | null) => void): void {
      if (!mayRemove(dir)) {
        cb(null);
        return;
      }
      fs.unlink(path.join(dir, OWNER), () => fs.rmdir(dir, cb));
    },
    rmdirSync(dir: string): void {
      if (mayRemove(dir)) {
        removeLockDirSync(dir);
      }
    },
  } as typeof fs;
}

/**
 * The tail of each file's queue of lockers in this process. proper-lockfile keeps one record per
 * path per process: two lockers of one file in one process that both took over the same stale lock
 * would share it, and the loser's release would stop the winner's refresh and drop its record (its
 * refresh timer then crashes the process with a TypeError, and its own release fails, leaving its
 * directory behind). So lockers of one file in one process take turns; processes race as before.
 */
const inProcessTails = new Map<string, Promise<void>>();

export async function withFileLock<T>(file: string, options: LockOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const key = path.resolve(file);
  const before = inProcessTails.get(key) ?? Promise.resolve();
  let done!: () => void;
  // The next locker waits for this one and, if this one gave up waiting, for the one before too.
  const tail = Promise.all([before, new Promise<void>((r) => (done = r))]).then(() => undefined);
  inProcessTails.set(key, tail);
  const started = performance.now();
  try {
    await waitForTurn(before, file, options);
    const waited = performance.now() - started;
    return await lockAcrossProcesses(file, { ...options, waitMs: Math.max(options.waitMs - waited, 0) }, fn, waited);
  } finally {
    done();
    if (inProcessTails.get(key) === tail) {
      inProcessTails.delete(key);
    }
  }
}

/** Waits for this process's previous locker of the file, within the caller's wait and deadline. */
async function waitForTurn(before: Promise<void>, file: string, options: LockOptions): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const started = performance.now();
  try {
    await Promise.race([
      before,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LockTimeoutError(file, Math.round(performance.now() - started))), options.waitMs);
        onAbort = () => reject(new DeadlineError(`taking the lock on ${file}`));
        if (options.signal?.aborted) {
          onAbort();
        }
        options.signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}

async function lockAcrossProcesses<T>(file: string, options: LockOptions, fn: (lock: HeldLock) => Promise<T>, waitedInProcessMs: number): Promise<T> {
  const state = { acquired: false, token: `${os.hostname()}:${process.pid}:${randomBytes(8).toString('hex')}` };
  const token = state.token;
  const lockDir = `${file}.lock`;
  let compromised = false;
  const started = performance.now();
  const deadline = Date.now() + options.waitMs;
  let delay = 2;
  let release: (() => Promise<void>) | undefined;
  for (;;) {
    if (options.signal?.aborted) {
      throw new DeadlineError(`taking the lock on ${file}`);
    }
    try {
      release = await lockfile.lock(file, {
        realpath: false, // the file may not exist yet, and resolving symlinks is what we must not do
        stale: options.staleMs,
        retries: 0, // the wait loop below owns back-off and the deadline
        fs: lockFsFor(state),
        onCompromised: (err: Error) => {
          compromised = true;
          options.onProblem(`context store: lock on ${file} was compromised (${err.message}); the update will be retried`);
        },
      });
      break;
    } catch (err) {
      const { code, syscall } = err as NodeJS.ErrnoException;
      // ELOCKED: held by another process. ENOTEMPTY (EEXIST on some systems) from rmdir: between
      // our removing a stale lock's token and its directory, another process replaced it with a
      // fresh lock and signed it. ENOENT from utime or stat: the directory we had just made was
      // removed before proper-lockfile could stamp it, by a waiter that judged the previous lock
      // stale a moment earlier (the same known gap): it was never ours. Each time: wait, try again.
      const lostToAnother =
        code === 'ELOCKED' ||
        ((code === 'ENOTEMPTY' || code === 'EEXIST') && syscall === 'rmdir') ||
        (code === 'ENOENT' && (syscall === 'utime' || syscall === 'stat'));
      if (!lostToAnother) {
        throw err;
      }
      if (breakIfHolderDead(lockDir, options.onProblem)) {
        continue;
      }
      if (Date.now() >= deadline) {
        throw new LockTimeoutError(file, Math.round(waitedInProcessMs + performance.now() - started));
      }
      // Jittered back-off, capped low: waiters are other short updates, not long holders.
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
      delay = Math.min(delay * 2, 25);
    }
  }
  const waitedMs = waitedInProcessMs + performance.now() - started;
  state.acquired = true;
  try {
    try {
      writeOwner(lockDir, token);
    } catch (err) {
      // Another waiter judged the same stale lock dead and replaced our fresh directory before we
      // could sign it (proper-lockfile's known gap): we never owned it. The store retries.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new LockLostError(file);
      }
      throw err;
    }
    const held: HeldLock = {
      waitedMs,
      assertHeld() {
        if (compromised || readOwner(lockDir) !== token) {
          throw new LockLostError(file);
        }
        if (options.signal?.aborted) {
          throw new DeadlineError(`writing ${file}`);
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

/**
 * Takes the lock over when the token inside the lock directory names a process on this host that
 * no longer exists. The directory is first renamed aside (atomic), then its token is read again:
 * only if it is still the dead holder's is it removed. If another process had meanwhile replaced
 * it with a lock of its own, that lock is put back (and if that fails, its holder's commit check
 * fails and it retries). Other hosts' pids (a store on a shared file system) and containers'
 * pids (another hostname) are left to the stale timeout.
 */
function breakIfHolderDead(lockDir: string, onProblem: (message: string) => void): boolean {
  const seen = readOwner(lockDir);
  if (!seen || !isDeadLocalHolder(seen)) {
    return false;
  }
  const aside = `${lockDir}.dead-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockDir, aside);
  } catch {
    return false; // released or broken meanwhile: just try again
  }
  if (readOwner(aside) === seen) {
    removeLockDirSync(aside);
    return true;
  }
  try {
    fs.renameSync(aside, lockDir);
  } catch (err) {
    onProblem(`context store: moved a live lock ${lockDir} aside by mistake and could not put it back (${(err as Error).message}); its holder will retry`);
    try {
      removeLockDirSync(aside);
    } catch {
      // leave it; gc removes *.lock.dead-* folders
    }
  }
  return false;
}

function isDeadLocalHolder(token: string): boolean {
  const [host, pidText] = token.split(':');
  const pid = Number(pidText);
  return host === os.hostname() && Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isProcessAlive(pid);
}

function writeOwner(lockDir: string, token: string): void {
  // Synchronous and tiny: written once right after mkdir. A torn read fails the ownership check,
  // which only makes the holder retry (safe), and a breaker never breaks on a torn token.
  // Adding a file changes the directory's mtime, which proper-lockfile watches to detect a lock
  // taken over: put back the mtime it set.
  const before = fs.statSync(lockDir);
  const fd = fs.openSync(path.join(lockDir, OWNER), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW, FILE_MODE);
  try {
    fs.writeSync(fd, `${token}\n`);
  } finally {
    fs.closeSync(fd);
  }
  fs.utimesSync(lockDir, before.atime, before.mtime);
}

/** The token, only when complete (it ends with a newline): a half-written one is no evidence. */
function readOwner(lockDir: string): string | undefined {
  try {
    const text = fs.readFileSync(path.join(lockDir, OWNER), 'utf8');
    return text.endsWith('\n') ? text.slice(0, -1) : undefined;
  } catch {
    return undefined;
  }
}
