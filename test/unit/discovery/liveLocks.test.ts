import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLiveLocks } from '../../../src/core/discovery/liveLocks';
import { LockHolder, hasFlock, recordingLogger, removeDir, setMtime, tempDir, uuidV7, writeLock } from './fixtures';

describe('discovery/liveLocks (real files)', () => {
  let home: string;
  beforeEach(() => {
    home = tempDir();
  });
  afterEach(() => removeDir(home));

  it('says when there is no lock folder (Codex without lock files, or a fresh home)', () => {
    assert.deepEqual(readLiveLocks(home, recordingLogger()), { dirExists: false, ids: new Set(), stale: new Set() });
    assert.deepEqual(readLiveLocks(path.join(home, 'missing'), recordingLogger()), { dirExists: false, ids: new Set(), stale: new Set() });
  });

  it('lists <thread id>.lock files and ignores everything else with a debug log', () => {
    const a = uuidV7(Date.now());
    const b = uuidV7(Date.now() - 1000);
    writeLock(home, a);
    writeLock(home, b);
    const dir = path.join(home, 'thread-writer-locks');
    fs.writeFileSync(path.join(dir, '.coordination.lock'), '');
    fs.writeFileSync(path.join(dir, 'not-an-id.lock'), '');
    fs.writeFileSync(path.join(dir, `${a.toUpperCase()}.lock`), '');
    fs.writeFileSync(path.join(dir, `${a}.lock.tmp`), '');
    fs.mkdirSync(path.join(dir, `${uuidV7(Date.now())}.lock`));
    fs.symlinkSync('/etc/passwd', path.join(dir, `${uuidV7(Date.now())}.lock`));
    const log = recordingLogger();
    const locks = readLiveLocks(home, log);
    assert.equal(locks.dirExists, true);
    assert.deepEqual([...locks.ids].sort(), [a, b].sort());
    assert.equal(log.lines.filter((l) => l.startsWith('debug')).length, 5, log.lines.join('\n'));
  });

  it('treats a file in place of the lock folder as no locks', () => {
    fs.writeFileSync(path.join(home, 'thread-writer-locks'), '');
    assert.deepEqual(readLiveLocks(home, recordingLogger()), { dirExists: false, ids: new Set(), stale: new Set() });
  });

  it('does not count a lock file nobody holds (Codex was killed), after a grace period', () => {
    const held = uuidV7(Date.now() - 120_000);
    const stale = uuidV7(Date.now() - 120_000);
    const fresh = uuidV7(Date.now());
    const heldFile = writeLock(home, held);
    setMtime(heldFile, Date.now() - 60_000);
    setMtime(writeLock(home, stale), Date.now() - 60_000);
    writeLock(home, fresh); // just created: Codex takes the flock right after
    const table = path.join(home, 'locks-table');
    fs.writeFileSync(table, `1: POSIX  ADVISORY  WRITE 99 08:01:12345 0 EOF\n2: FLOCK  ADVISORY  WRITE 6785 fe:00:${fs.statSync(heldFile).ino} 0 EOF\n`);
    const log = recordingLogger();
    const locks = readLiveLocks(home, log, { procLocksPath: table });
    assert.deepEqual([...locks.ids].sort(), [held, fresh].sort());
    assert.deepEqual([...locks.stale], [stale]);
    assert.ok(log.lines.some((l) => l.includes('held by no process')));
    // Unreadable lock table, or the check turned off: every lock file counts.
    assert.equal(readLiveLocks(home, log, { procLocksPath: path.join(home, 'missing') }).ids.size, 3);
    assert.equal(readLiveLocks(home, log, { procLocksPath: table, detectStale: false }).ids.size, 3);
  });

  it('sees a real flock holder in /proc/locks', async function () {
    if (process.platform !== 'linux' || !hasFlock()) {
      this.skip();
    }
    const id = uuidV7(Date.now() - 120_000);
    const file = writeLock(home, id);
    setMtime(file, Date.now() - 60_000);
    assert.deepEqual([...readLiveLocks(home, recordingLogger()).stale], [id]);
    const holder = await LockHolder.start(file);
    try {
      assert.deepEqual([...readLiveLocks(home, recordingLogger()).ids], [id]);
    } finally {
      await holder.stop();
    }
    assert.deepEqual([...readLiveLocks(home, recordingLogger()).stale], [id]);
  });
});
