import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodexThreadDiscovery, CodexThreadDiscoveryOptions } from '../../../src/core/discovery/discovery';
import { EventLog, LockHolder, hasFlock, is, recordingLogger, removeDir, removeLock, rolloutLines, setMtime, tempDir, uuidV7, writeLock, writeRollout } from './fixtures';

// Real fs events, no fixed sleeps: each step waits for its event with a deadline. The rescan
// timer is set to a minute unless a test is about it, so events must come from the watchers.
const BOUND_MS = 500;

describe('CodexThreadDiscovery.watch (real fs events)', function () {
  this.timeout(30_000);
  let root: string;
  let home: string;
  const open: CodexThreadDiscovery[] = [];

  beforeEach(() => {
    root = tempDir();
    home = path.join(root, 'codex-home');
  });
  afterEach(() => {
    for (const d of open.splice(0)) {
      d.dispose();
    }
    removeDir(root);
  });

  async function start(opts: Partial<CodexThreadDiscoveryOptions> = {}): Promise<{ d: CodexThreadDiscovery; log: EventLog }> {
    const d = new CodexThreadDiscovery({ codexHome: home, logger: recordingLogger(), rescanIntervalMs: 60_000, ...opts });
    open.push(d);
    const log = new EventLog(d);
    await d.watch();
    return { d, log };
  }

  /** Runs `change`, waits for the event and checks it came within the bound. */
  async function within(log: EventLog, pred: Parameters<EventLog['next']>[0], what: string, change: () => void, bound = BOUND_MS) {
    const t0 = Date.now();
    change();
    const ev = await log.next(pred, bound * 4, what);
    const took = Date.now() - t0;
    assert.ok(took <= bound, `${what} took ${took} ms (bound ${bound} ms)`);
    return ev;
  }

  it('reports start, metadata, activity and end of a 0.169 thread, each within 500 ms', async () => {
    fs.mkdirSync(path.join(home, 'thread-writer-locks'), { recursive: true });
    const { log } = await start();
    const id = uuidV7(Date.now());

    const started = await within(log, is('started', id), 'started', () => writeLock(home, id));
    assert.equal(started.thread.live, true);
    assert.equal(started.thread.hasMetadata, false);

    // The rollout appears at the first user message, after the thread started.
    const lines = rolloutLines({ id, cwd: '/proj', originator: 'codex-tui', userMessage: 'hello there' });
    let file = '';
    const meta = await within(log, (e) => is('metadata', id)(e) && e.thread.title !== undefined, 'metadata', () => {
      file = writeRollout(home, { id }, { content: lines.join('\n') + '\n' });
    });
    assert.equal(meta.thread.cwd, '/proj');
    assert.equal(meta.thread.kind, 'terminal');
    assert.equal(meta.thread.title, 'hello there');
    assert.equal(meta.thread.rolloutPath, file);

    const activity = await within(log, is('activity', id), 'activity', () => fs.appendFileSync(file, '{"type":"event_msg","payload":{"type":"token_count"}}\n'));
    assert.ok((activity.thread.lastActivityAt ?? 0) >= (meta.thread.lastActivityAt ?? 0));

    const ended = await within(log, is('ended', id), 'ended', () => removeLock(home, id));
    assert.equal(ended.thread.live, false);
    assert.deepEqual(log.of(id), ['started', 'metadata', 'activity', 'ended']);
  });

  it('starts from the current state without events, and reports only changes', async () => {
    const existing = uuidV7(Date.now() - 60_000);
    writeRollout(home, { id: existing, userMessage: 'already running' });
    writeLock(home, existing);
    const { d, log } = await start();
    assert.deepEqual(d.current().map((t) => [t.id, t.live, t.title]), [[existing, true, 'already running']]);
    const other = uuidV7(Date.now());
    await within(log, is('started', other), 'started', () => writeLock(home, other));
    assert.deepEqual(log.of(existing), []);
  });

  it('works in a Codex home that does not exist yet', async () => {
    const { log } = await start();
    const id = uuidV7(Date.now());
    await within(log, is('started', id), 'started in a new home', () => {
      fs.mkdirSync(home);
      writeLock(home, id);
    }, 1000);
    await within(log, (e) => is('metadata', id)(e) && e.thread.title === 'first', 'metadata in a new sessions tree', () => {
      writeRollout(home, { id, userMessage: 'first' });
    }, 1000);
  }).timeout(30_000);

  it('still sees new day folders and rollouts (mkdir -p of sessions/YYYY/MM/DD)', async () => {
    fs.mkdirSync(home);
    const { log } = await start();
    const id = uuidV7(Date.now());
    fs.mkdirSync(path.join(home, 'thread-writer-locks'));
    await within(log, is('started', id), 'started', () => writeLock(home, id));
    const ev = await within(log, (e) => is('metadata', id)(e) && e.thread.title === 'new day', 'metadata in a new day folder', () => {
      writeRollout(home, { id, userMessage: 'new day' });
    });
    assert.ok(ev.thread.rolloutPath?.includes(`${path.sep}sessions${path.sep}`));
  });

  it('keeps working when the lock and session folders are deleted and created again', async () => {
    const first = uuidV7(Date.now());
    writeLock(home, first);
    writeRollout(home, { id: first, userMessage: 'one' });
    const { log } = await start();
    await within(log, is('ended', first), 'ended by deleting the lock folder', () => fs.rmSync(path.join(home, 'thread-writer-locks'), { recursive: true }));
    fs.rmSync(path.join(home, 'sessions'), { recursive: true });
    const second = uuidV7(Date.now());
    await within(log, is('started', second), 'started in a re-created lock folder', () => writeLock(home, second));
    await within(log, (e) => is('metadata', second)(e) && e.thread.title === 'two', 'metadata in re-created sessions', () => writeRollout(home, { id: second, userMessage: 'two' }));
    // Deleted and re-created while nothing else happens: the new folder's watcher is in place.
    fs.rmSync(path.join(home, 'thread-writer-locks'), { recursive: true });
    await log.next(is('ended', second), 2000, 'ended');
    fs.mkdirSync(path.join(home, 'thread-writer-locks'));
    const third = uuidV7(Date.now());
    await within(log, is('started', third), 'started after a second re-creation', () => writeLock(home, third));
  });

  it('reports every thread when many files change at once', async () => {
    fs.mkdirSync(path.join(home, 'thread-writer-locks'), { recursive: true });
    const { log } = await start();
    const ids = Array.from({ length: 300 }, (_, i) => uuidV7(Date.now() - i));
    const t0 = Date.now();
    for (const id of ids) {
      writeLock(home, id);
      writeRollout(home, { id, userMessage: `burst ${id}` });
    }
    const wrote = Date.now() - t0;
    const waitAll = async (type: 'started' | 'ended'): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (ids.some((id) => !log.of(id).includes(type))) {
        assert.ok(Date.now() < deadline, `${type}: ${ids.filter((id) => log.of(id).includes(type)).length}/${ids.length}`);
        await log.next((e) => e.type === type, 5000).catch(() => undefined);
      }
    };
    await waitAll('started');
    const took = Date.now() - t0;
    assert.ok(took - wrote <= BOUND_MS * 2, `all started ${took - wrote} ms after the last write`);
    for (const id of ids) {
      const started = log.events.find((e) => is('started', id)(e.event));
      assert.equal(started?.event.thread.live, true);
    }
    for (const id of ids) {
      removeLock(home, id);
    }
    await waitAll('ended');
    for (const id of ids) {
      assert.equal(log.of(id).filter((t) => t === 'started').length, 1);
      assert.equal(log.of(id).filter((t) => t === 'ended').length, 1);
    }
  });

  it('follows a resumed old thread: its lock, its old rollout and writes to it', async () => {
    fs.mkdirSync(path.join(home, 'thread-writer-locks'), { recursive: true });
    const id = uuidV7(Date.now() - 90 * 86_400_000);
    const file = writeRollout(home, { id, userMessage: 'from last quarter' });
    const { log } = await start();
    const started = await within(log, is('started', id), 'started', () => writeLock(home, id));
    assert.equal(started.thread.title, 'from last quarter');
    assert.equal(started.thread.rolloutPath, file);
    await within(log, is('activity', id), 'activity in an old day folder', () => fs.appendFileSync(file, '{"type":"event_msg","payload":{}}\n'));
  });

  it('for Codex without lock files: a rollout that appears starts a thread, and it ends after the active window', async () => {
    fs.mkdirSync(home);
    const { log } = await start({ activeWindowMs: 800, rescanIntervalMs: 100 });
    const id = uuidV7(Date.now());
    let file = '';
    const started = await within(log, is('started', id), 'started (rollout, no lock)', () => {
      file = writeRollout(home, { id, cliVersion: '0.125.0', originator: 'codex_exec', userMessage: 'old codex' });
    });
    assert.equal(started.thread.kind, 'exec');
    assert.equal(started.thread.title, 'old codex');
    await within(log, is('activity', id), 'activity', () => fs.appendFileSync(file, '{}\n'));
    const ended = await log.next(is('ended', id), 3000, 'ended after the window');
    assert.equal(ended.thread.live, false);
  });

  it('catches up on the safety rescan when an event was missed', async () => {
    fs.mkdirSync(path.join(home, 'thread-writer-locks'), { recursive: true });
    const { d, log } = await start({ rescanIntervalMs: 150 });
    // Close the watchers behind the discovery's back: only the timer can see the change now.
    (d as unknown as { watchSet: { close(): void } }).watchSet.close();
    const id = uuidV7(Date.now());
    writeLock(home, id);
    await log.next(is('started', id), 2000, 'started from the rescan');
  });

  it('ends a thread whose Codex was killed (lock file left behind, no flock) on the safety rescan', async function () {
    if (process.platform !== 'linux' || !hasFlock()) {
      this.skip();
    }
    const id = uuidV7(Date.now() - 120_000);
    const lock = writeLock(home, id);
    setMtime(lock, Date.now() - 60_000);
    const holder = await LockHolder.start(lock);
    try {
      const { d, log } = await start({ rescanIntervalMs: 150 });
      assert.deepEqual(d.current().map((t) => [t.id, t.live]), [[id, true]]);
      await holder.stop();
      const ended = await log.next(is('ended', id), 3000, 'ended after the holder died');
      assert.equal(ended.thread.live, false);
      assert.ok(fs.existsSync(lock), 'the lock file is still there');
    } finally {
      await holder.stop();
    }
  });

  it('stops reporting after dispose, and a throwing listener does not stop the others', async () => {
    fs.mkdirSync(path.join(home, 'thread-writer-locks'), { recursive: true });
    const logger = recordingLogger();
    const { d, log } = await start({ logger });
    d.onDidChange(() => {
      throw new Error('listener bug');
    });
    const id = uuidV7(Date.now());
    await within(log, is('started', id), 'started', () => writeLock(home, id));
    assert.ok(logger.lines.some((l) => l.includes('listener bug')));
    d.dispose();
    removeLock(home, id);
    const other = uuidV7(Date.now());
    writeLock(home, other);
    await assert.rejects(log.next((e) => e.thread.id === other || e.type === 'ended', 700, 'nothing'));
  });
});
