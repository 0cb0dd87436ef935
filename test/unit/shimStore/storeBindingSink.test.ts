import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextStore } from '../../../src/core/store/contextStore';
import { withFileLock } from '../../../src/core/store/fileLock';
import { StoreBindingSink } from '../../../src/shim/storeBindingSink';

const A = '01a20dd3-146f-7680-86a1-782e736bec86';
const B = '01a20dd3-2000-7000-8000-000000000002';

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('StoreBindingSink (the shim recording its binding)', () => {
  let dir: string;
  let cwd: string;
  let store: ContextStore;
  let reports: string[];
  /** Every sink a test made: each must have written everything before its test's folder goes. */
  let sinks: StoreBindingSink[];
  /** Set once the test's body has returned: a lock taken after that is a write the test left running. */
  let testEnded: boolean;
  let writesAfterTheTest: number;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-sink-'));
    cwd = path.join(dir, 'project');
    fs.mkdirSync(cwd);
    testEnded = false;
    writesAfterTheTest = 0;
    store = new ContextStore({ root: path.join(dir, 'store'), onLockAcquired: () => (writesAfterTheTest += testEnded ? 1 : 0) });
    reports = [];
    sinks = [];
  });

  afterEach(async () => {
    testEnded = true;
    // A write still scheduled here would otherwise run during the next test, after this folder is
    // gone: its mkdir of the lock directory fails (ENOENT) and its report lands in the next test.
    await Promise.all(sinks.map((s) => s.flush()));
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(writesAfterTheTest, 0, 'the test ended while its sinks still had writes to do: await their flush()');
  });

  /** A sink bound to this test's store and reports (not to whichever test runs when it writes). */
  function newSink(target: ContextStore = store): StoreBindingSink {
    const own = reports;
    const sink = new StoreBindingSink(() => target, (l) => own.push(l));
    sinks.push(sink);
    return sink;
  }

  it('records start, calls, a restart for another thread, and the exit', async () => {
    const sink = newSink();
    sink.starting({ server: 'probe', shimPid: 4242, threadId: A, resolvedBy: 'parent-open-files', startedAtMs: Date.now(), codexHome: dir, cwd });
    assert.equal(sink.stderrLogPath, path.join(store.root, 'logs', `${A}.probe.stderr.log`));
    assert.equal(fs.statSync(path.dirname(sink.stderrLogPath!)).mode & 0o777, 0o700);
    sink.running(5001);
    for (let i = 0; i < 1000; i++) {
      sink.call(Date.now());
    }
    await sink.flush();
    let a = await store.read({ id: A, cwd });
    assert.equal(a?.bindings.length, 1);
    assert.deepEqual(
      { status: a?.bindings[0].status, serverPid: a?.bindings[0].serverPid, callCount: a?.bindings[0].callCount, resolvedBy: a?.bindings[0].resolvedBy },
      { status: 'running', serverPid: 5001, callCount: 1000, resolvedBy: 'parent-open-files' },
    );
    const at = new Date().toISOString();
    sink.correction({ at, from: A, to: B, action: 'restart' });
    sink.restarted(5002, B);
    sink.call(Date.now());
    sink.exited(0, null);
    await sink.flush();
    a = await store.read({ id: A, cwd });
    assert.equal(a?.bindings[0].status, 'restarted');
    assert.deepEqual(a?.bindings[0].corrections, [{ at, from: A, to: B, action: 'restart' }]);
    const b = await store.read({ id: B, cwd });
    assert.equal(b?.bindings.length, 1);
    assert.deepEqual(
      { status: b?.bindings[0].status, serverPid: b?.bindings[0].serverPid, callCount: b?.bindings[0].callCount, resolvedBy: b?.bindings[0].resolvedBy, exitCode: b?.bindings[0].exitCode },
      { status: 'exited', serverPid: 5002, callCount: 1, resolvedBy: 'per-call', exitCode: 0 },
    );
    assert.deepEqual(reports, []);
  });

  it('replaces the starting binding the resolver claimed instead of adding a second one', async () => {
    const started = Date.now() - 100;
    await store.update({ id: A, cwd }, (c) => {
      const ctx = c ?? store.newContext({ id: A, cwd });
      ctx.bindings.push({ server: 'probe', shimPid: 4242, resolvedBy: 'parent-open-files', status: 'starting', startedAt: new Date(started).toISOString(), callCount: 0, corrections: [] });
      return ctx;
    });
    const sink = newSink();
    sink.starting({ server: 'probe', shimPid: 4242, threadId: A, resolvedBy: 'parent-open-files', startedAtMs: Date.now(), codexHome: dir, cwd });
    sink.running(77);
    await sink.flush();
    const ctx = await store.read({ id: A, cwd });
    assert.equal(ctx?.bindings.length, 1);
    assert.equal(ctx?.bindings[0].status, 'running');
  });

  it('fails open: a store it cannot write is reported once and the sink goes quiet', async () => {
    const blocked = path.join(dir, 'blocked');
    fs.writeFileSync(blocked, 'a file where the store folder should be');
    const bad = new ContextStore({ root: blocked });
    const sink = newSink(bad);
    sink.starting({ server: 'probe', shimPid: 1, threadId: A, resolvedBy: 'env', startedAtMs: Date.now(), codexHome: dir, cwd });
    sink.running(2);
    sink.call(Date.now());
    await sink.flush();
    sink.exited(1, null);
    await sink.flush();
    assert.equal(reports.length, 1, reports.join('\n'));
    assert.match(reports[0], /not recording the binding any more|not a directory/);
  });

  it('retries a write that failed for a passing reason (a lock timeout) and still records the final exit, with one line on stderr', async () => {
    const quick = new ContextStore({ root: store.root, lockWaitMs: 100 });
    const file = quick.fileFor({ id: A, cwd });
    await quick.ensureGroup(cwd);
    let release!: () => void;
    let holding!: () => void;
    const isHeld = new Promise<void>((r) => (holding = r));
    // Another writer holds the thread's lock for longer than this store waits.
    const holder = withFileLock(file, { staleMs: 10_000, waitMs: 1000, onProblem: () => undefined }, async () => {
      holding();
      await new Promise<void>((r) => (release = r));
    });
    await isHeld;
    const sink = newSink(quick);
    sink.starting({ server: 'probe', shimPid: process.pid, threadId: A, resolvedBy: 'parent-open-files', startedAtMs: Date.now(), codexHome: dir, cwd });
    sink.running(5001);
    sink.call(Date.now());
    sink.exited(0, null);
    const flushed = sink.flush();
    await waitUntil(() => reports.length > 0);
    release();
    await holder;
    await flushed;
    const ctx = await quick.read({ id: A, cwd });
    assert.deepEqual(
      ctx?.bindings.map((b) => [b.status, b.callCount, b.exitCode]),
      [['exited', 1, 0]],
      'the latest state, written once the lock was free',
    );
    assert.equal(reports.length, 1, reports.join('\n'));
    assert.match(reports[0], /timed out .* waiting for the lock.*retrying/);
  });

  it('ends the thread when its last server exits and Codex no longer holds its lock file, not before', async () => {
    const codexHome = path.join(dir, 'codex');
    const lock = path.join(codexHome, 'thread-writer-locks', `${A}.lock`);
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, '');
    const first = newSink();
    first.starting({ server: 'probe', shimPid: process.pid, threadId: A, resolvedBy: 'parent-open-files', startedAtMs: Date.now(), codexHome, cwd });
    first.running(1);
    await first.flush();
    first.exited(0, null);
    await first.flush();
    assert.equal((await store.read({ id: A, cwd }))?.thread.status, 'live', 'still loaded: its lock file exists');
    fs.rmSync(lock);
    const second = newSink();
    second.starting({ server: 'other', shimPid: process.pid, threadId: A, resolvedBy: 'parent-open-files', startedAtMs: Date.now(), codexHome, cwd });
    second.running(1);
    await second.flush();
    assert.equal((await store.read({ id: A, cwd }))?.thread.status, 'live', 'a server still runs');
    second.exited(0, null);
    await second.flush();
    const ctx = await store.read({ id: A, cwd });
    assert.equal(ctx?.thread.status, 'ended');
    assert.ok(ctx?.thread.endedAt && Date.parse(ctx.thread.endedAt) > Date.now() - 10_000);
    assert.deepEqual(reports, []);
  });

  it('two shims of one server for one thread share one stderr log, and both are recorded', async () => {
    const a = newSink();
    const b = newSink();
    a.starting({ server: 'probe', shimPid: 11, threadId: A, resolvedBy: 'parent-open-files', startedAtMs: Date.now(), codexHome: dir, cwd });
    b.starting({ server: 'probe', shimPid: 12, threadId: A, resolvedBy: 'parent-open-files', startedAtMs: Date.now(), codexHome: dir, cwd });
    assert.equal(a.stderrLogPath, b.stderrLogPath);
    assert.equal(a.stderrLogPath, path.join(store.root, 'logs', `${A}.probe.stderr.log`));
    // Starting schedules each binding's write: wait for both (the log they share is in both).
    await Promise.all([a.flush(), b.flush()]);
    const ctx = await store.read({ id: A, cwd });
    assert.deepEqual(ctx?.bindings.map((x) => [x.shimPid, x.stderrLog]).sort(), [
      [11, a.stderrLogPath],
      [12, a.stderrLogPath],
    ]);
    assert.deepEqual(reports, []);
  });

  it('records nothing when started without a thread, until a kept correction names one', async () => {
    const sink = newSink();
    sink.starting({ server: 'probe', shimPid: 9, resolvedBy: 'unresolved', startedAtMs: Date.now(), codexHome: dir, cwd });
    sink.running(10);
    sink.call(Date.now());
    await sink.flush();
    assert.deepEqual(await store.listWorkspaces(), []);
    sink.correction({ at: new Date().toISOString(), to: B, action: 'keep' });
    await sink.flush();
    const b = await store.read({ id: B, cwd });
    assert.equal(b?.bindings[0].resolvedBy, 'per-call');
    assert.equal(b?.bindings[0].corrections[0].action, 'keep');
  });

  it('records the correction in the new binding when a server started without a thread is restarted', async () => {
    const sink = newSink();
    sink.starting({ server: 'probe', shimPid: 9, resolvedBy: 'unresolved', startedAtMs: Date.now(), codexHome: dir, cwd });
    sink.running(10);
    const c = { at: new Date().toISOString(), to: B, action: 'restart' as const };
    sink.correction(c);
    sink.restarted(11, B);
    await sink.flush();
    const b = await store.read({ id: B, cwd });
    assert.equal(b?.bindings.length, 1);
    assert.deepEqual(b?.bindings[0].corrections, [c]);
    assert.equal(b?.bindings[0].serverPid, 11);
    assert.deepEqual(reports, []);
  });
});
