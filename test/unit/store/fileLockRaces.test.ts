import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
// The module object itself (the namespace import's properties are read-only): to patch unlink.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withFileLock } from '../../../src/core/store/fileLock';

/** The lock of `file` as a holder on another host left it a minute ago (signed, then frozen). */
function frozenStaleLock(file: string): { lockDir: string; owner: string } {
  const lockDir = `${file}.lock`;
  const owner = path.join(lockDir, 'owner');
  fs.mkdirSync(lockDir);
  fs.writeFileSync(owner, 'elsewhere:1:frozen\n');
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lockDir, old, old);
  return { lockDir, owner };
}

describe('withFileLock: lockers racing for one lock', function () {
  this.timeout(20_000);
  let dir: string;
  const realUnlink = fs.unlink;
  const realUtimes = fs.utimes;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-lock-'));
  });

  afterEach(() => {
    nodeFs.unlink = realUnlink;
    nodeFs.utimes = realUtimes;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two lockers in one process both finish in turn, the process survives, and no lock directory is left, when both find a frozen holder’s stale lock', async () => {
    const file = path.join(dir, 'thread.json');
    // A holder on another host that froze long ago: only the stale timeout applies to it.
    const { lockDir, owner } = frozenStaleLock(file);
    // The race proper-lockfile leaves open, made certain: a second take-over of the stale lock
    // removes the token only once the first locker has signed its fresh directory (so it removes
    // that directory instead of the stale one).
    let ownerUnlinks = 0;
    (nodeFs as { unlink: unknown }).unlink = (p: fs.PathLike, cb: fs.NoParamCallback): void => {
      if (p === owner && ++ownerUnlinks === 2) {
        const go = (): void => {
          const token = fs.existsSync(owner) ? fs.readFileSync(owner, 'utf8') : '';
          if (token.endsWith('\n') && !token.startsWith('elsewhere')) {
            realUnlink(p, cb);
          } else {
            setTimeout(go, 1);
          }
        };
        go();
        return;
      }
      realUnlink(p, cb);
    };
    const problems: string[] = [];
    const crashes: Error[] = [];
    const onCrash = (err: Error): void => {
      crashes.push(err);
    };
    // Mocha's own handler would report it too; collect it here so the assertion says what happened.
    const mochaHandlers = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onCrash);
    const order: string[] = [];
    const opts = { staleMs: 2000, waitMs: 15_000, onProblem: (m: string) => problems.push(m) };
    try {
      // Each holds the lock past a refresh (proper-lockfile refreshes every staleMs / 2).
      const hold = (name: string) => async (lock: { assertHeld(): void }) => {
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 1300));
        lock.assertHeld();
        order.push(`${name} out`);
      };
      const results = await Promise.allSettled([withFileLock(file, opts, hold('first')), withFileLock(file, opts, hold('second'))]);
      order.push(...results.filter((r) => r.status === 'rejected').map((r) => `lost: ${(r.reason as Error).name}`));
      await new Promise((r) => setTimeout(r, 2500)); // past a refresh timer of either, had one survived
    } finally {
      process.removeListener('uncaughtException', onCrash);
      for (const h of mochaHandlers) {
        process.on('uncaughtException', h);
      }
    }
    assert.deepEqual(
      { crashes: crashes.map((e) => e.message), problems, lockDirLeft: fs.existsSync(lockDir), order },
      { crashes: [], problems: [], lockDirLeft: false, order: ['first in', 'first out', 'second in', 'second out'] },
    );
  });

  it('a locker waiting behind another in this process still gives up at its wait limit', async () => {
    const file = path.join(dir, 'thread.json');
    let release!: () => void;
    const holder = withFileLock(file, { staleMs: 10_000, waitMs: 1000, onProblem: () => undefined }, () => new Promise<void>((r) => (release = r)));
    await assert.rejects(withFileLock(file, { staleMs: 10_000, waitMs: 100, onProblem: () => undefined }, async () => undefined), { name: 'LockTimeoutError' });
    release();
    await holder;
    await withFileLock(file, { staleMs: 10_000, waitMs: 1000, onProblem: () => undefined }, async () => undefined);
  });

  it('a waiter whose stale take-over meets a lock another process just signed waits for it instead of failing', async () => {
    const file = path.join(dir, 'thread.json');
    const { lockDir, owner } = frozenStaleLock(file);
    // Right after this waiter removed the stale token, another process (played here) removes the
    // stale directory, takes the lock and signs it: this waiter's rmdir then finds it not empty.
    let played = false;
    (nodeFs as { unlink: unknown }).unlink = (p: fs.PathLike, cb: fs.NoParamCallback): void => {
      realUnlink(p, (err) => {
        if (p === owner && !played) {
          played = true;
          fs.rmdirSync(lockDir);
          fs.mkdirSync(lockDir);
          fs.writeFileSync(owner, `${os.hostname()}:${process.ppid}:other\n`);
          setTimeout(() => fs.rmSync(lockDir, { recursive: true, force: true }), 300); // the other process releases
        }
        cb(err);
      });
    };
    const problems: string[] = [];
    let ran = false;
    await withFileLock(file, { staleMs: 2000, waitMs: 5000, onProblem: (m) => problems.push(m) }, async (lock) => {
      lock.assertHeld();
      ran = true;
    });
    assert.equal(played, true);
    assert.equal(ran, true);
    assert.equal(fs.existsSync(lockDir), false);
    assert.deepEqual(problems, []);
  });

  it('a waiter whose fresh lock directory another waiter removes before it is stamped (both judged the old lock stale) waits and takes the lock instead of failing with ENOENT', async () => {
    const file = path.join(dir, 'thread.json');
    const lockDir = `${file}.lock`;
    // Seen in CI with 4 processes waiting on a frozen holder: right after this waiter made its
    // directory, another waiter that had judged the old lock stale removed it (played here), so
    // proper-lockfile's first stamp of the directory found nothing.
    let played = false;
    (nodeFs as { utimes: unknown }).utimes = (p: fs.PathLike, atime: Date, mtime: Date, cb: fs.NoParamCallback): void => {
      if (p === lockDir && !played) {
        played = true;
        fs.rmdirSync(lockDir);
      }
      realUtimes(p, atime, mtime, cb);
    };
    const problems: string[] = [];
    let ran = false;
    await withFileLock(file, { staleMs: 2000, waitMs: 5000, onProblem: (m) => problems.push(m) }, async (lock) => {
      lock.assertHeld();
      ran = true;
    });
    assert.deepEqual({ played, ran, lockDirLeft: fs.existsSync(lockDir), problems }, { played: true, ran: true, lockDirLeft: false, problems: [] });
  });
});
