import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { spawn, spawnSync } from 'node:child_process';
import { ContextStore } from '../../../src/core/store/contextStore';
import { gcIfDue } from '../../../src/core/store/gcIfDue';
import { InvalidThreadIdError } from '../../../src/core/threadId';
import { resolveStoreRoot } from '../../../src/core/store/storeLocation';
import type { McpBinding, ThreadContext } from '../../../src/core/store/threadContext';
import { within } from '../../support/processes';

const ID = '01a20dd3-146f-7680-86a1-782e736bec86';
const ID2 = '01a20dd3-2000-7000-8000-000000000002';
const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../schema/thread-context.schema.json'), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
const matchesSchema = ajv.compile(schema);

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-store-'));
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

function mode(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

describe('ContextStore', () => {
  let dir: string;
  let root: string;
  let cwd: string;
  let warnings: string[];
  let store: ContextStore;

  beforeEach(() => {
    dir = tmp();
    root = path.join(dir, 'home', '.codex', 'thread-context');
    cwd = path.join(dir, 'project');
    fs.mkdirSync(cwd);
    warnings = [];
    store = new ContextStore({ root, logger: { warn: (m) => warnings.push(m) } });
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const addBinding = (server: string) => (cur: ThreadContext | undefined): ThreadContext => {
    const ctx = cur ?? store.newContext({ id: ID, cwd });
    ctx.bindings.push({ server, shimPid: process.pid, resolvedBy: 'env', status: 'running', startedAt: new Date().toISOString(), callCount: 0, corrections: [] });
    return ctx;
  };

  it('creates missing directories 0700 and files 0600, and writes files that match the JSON Schema', async () => {
    const written = await store.update({ id: ID, cwd }, addBinding('alpha'));
    const file = store.fileFor({ id: ID, cwd });
    assert.ok(fs.existsSync(file));
    for (const d of [root, path.join(root, 'workspaces'), path.dirname(file)]) {
      assert.equal(mode(d), 0o700, `${d} mode`);
    }
    assert.equal(mode(file), 0o600);
    assert.equal(mode(path.join(path.dirname(file), 'workspace.json')), 0o600);
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as ThreadContext;
    assert.deepEqual(onDisk, written);
    assert.ok(matchesSchema(onDisk), JSON.stringify(matchesSchema.errors));
    assert.equal(onDisk.thread.startedAt, new Date(0x01a20dd3146f).toISOString());
    assert.deepEqual(await store.read({ id: ID, cwd }), onDisk);
    // no lock or temp files are left behind
    assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp')), []);
  });

  it('puts a thread in the same file whether reached by a cwd, a symlink to it, or a trailing slash', async () => {
    const link = path.join(dir, 'link-to-project');
    fs.symlinkSync(cwd, link);
    const a = store.fileFor({ id: ID, cwd });
    assert.equal(store.fileFor({ id: ID, cwd: link }), a);
    assert.equal(store.fileFor({ id: ID, cwd: cwd + '/' }), a);
    assert.equal(new ContextStore({ root }).fileFor({ id: ID.toUpperCase(), cwd }), a);
    assert.notEqual(store.fileFor({ id: ID, cwd: path.join(cwd, 'sub') }), a);
    assert.match(path.basename(path.dirname(a)), /^project-[0-9a-f]{16}$/);
  });

  it('rejects invalid thread ids before they reach a path', async () => {
    for (const bad of ['../../etc/passwd', '', 'not-a-uuid', `${ID}/../x`, '01a20dd3146f768086a1782e736bec86']) {
      await assert.rejects(store.update({ id: bad, cwd }, addBinding('x')), InvalidThreadIdError);
      assert.throws(() => store.fileFor({ id: bad, cwd }), InvalidThreadIdError);
    }
    assert.equal(fs.existsSync(root), false, 'nothing was created');
  });

  it('moves a corrupt file aside, reports it once, and goes on with a fresh file', async () => {
    await store.update({ id: ID, cwd }, addBinding('alpha'));
    const file = store.fileFor({ id: ID, cwd });
    fs.writeFileSync(file, '{"schemaVersion": 1, "thread": {');
    assert.equal(await store.read({ id: ID, cwd }), undefined);
    assert.equal(await store.read({ id: ID, cwd }), undefined);
    const aside = fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(fs.readFileSync(path.join(path.dirname(file), aside[0]), 'utf8'), '{"schemaVersion": 1, "thread": {', 'kept, not deleted');
    assert.equal(warnings.filter((w) => w.includes('not valid JSON')).length, 1, warnings.join('\n'));
    const fresh = await store.update({ id: ID, cwd }, addBinding('beta'));
    assert.deepEqual(fresh?.bindings.map((b) => b.server), ['beta']);
  });

  it('treats valid JSON of the wrong shape as corrupt', async () => {
    const file = store.fileFor({ id: ID, cwd });
    await store.ensureGroup(cwd);
    fs.writeFileSync(file, JSON.stringify({ schemaVersion: 99, thread: {} }), { mode: 0o600 });
    const after = await store.update({ id: ID, cwd }, addBinding('alpha'));
    assert.equal(after?.schemaVersion, 1);
    assert.ok(warnings.some((w) => w.includes('does not match the context schema')), warnings.join('\n'));
  });

  it('keeps a file a newer writer left with values this version does not know (a binding status, resolution, start kind, thread status), not moving it aside', async () => {
    await store.update({ id: ID, cwd }, addBinding('alpha'));
    const file = store.fileFor({ id: ID, cwd });
    const newer = JSON.parse(fs.readFileSync(file, 'utf8')) as { thread: Record<string, unknown>; bindings: Record<string, unknown>[] };
    Object.assign(newer.thread, { startedBy: 'cloud', status: 'paused' });
    Object.assign(newer.bindings[0], { status: 'suspended', resolvedBy: 'daemon-socket' });
    fs.writeFileSync(file, JSON.stringify(newer), { mode: 0o600 });
    assert.ok(matchesSchema(newer), `the published schema accepts it: ${JSON.stringify(matchesSchema.errors)}`);
    const after = await store.update({ id: ID, cwd }, addBinding('beta'));
    assert.deepEqual(after?.bindings.map((b) => [b.server, b.status, b.resolvedBy]), [['alpha', 'suspended', 'daemon-socket'], ['beta', 'running', 'env']]);
    assert.equal(after?.thread.status, 'paused');
    assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.corrupt-')), [], 'nothing moved aside');
    assert.deepEqual(warnings, []);
  });

  it('refuses to write a context that does not validate', async () => {
    await assert.rejects(
      store.update({ id: ID, cwd }, () => ({ ...store.newContext({ id: ID, cwd }), bindings: [{ server: '' }] }) as unknown as ThreadContext),
      /refusing to write an invalid context/,
    );
    assert.equal(fs.existsSync(store.fileFor({ id: ID, cwd })), false);
  });

  it('follows no symlink it did not create', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    fs.mkdirSync(elsewhere);
    // a group directory replaced by a symlink
    fs.mkdirSync(path.join(root, 'workspaces'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(root, 'workspaces', store.keyFor(cwd)));
    await assert.rejects(store.update({ id: ID, cwd }, addBinding('a')), /refusing to follow symlink/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    // a thread file that is a symlink: moved aside (the link itself), its target untouched
    const store2 = new ContextStore({ root: path.join(dir, 'root2'), logger: { warn: (m) => warnings.push(m) } });
    await store2.ensureGroup(cwd);
    const target = path.join(elsewhere, 'target.json');
    fs.writeFileSync(target, 'precious');
    fs.symlinkSync(target, store2.fileFor({ id: ID, cwd }));
    assert.equal(await store2.read({ id: ID, cwd }), undefined);
    assert.equal(fs.readFileSync(target, 'utf8'), 'precious');
    await store2.update({ id: ID, cwd }, addBinding('a'));
    assert.equal(fs.lstatSync(store2.fileFor({ id: ID, cwd })).isSymbolicLink(), false);
    assert.equal(fs.readFileSync(target, 'utf8'), 'precious');
    // the store root itself as a symlink
    const linkedRoot = path.join(dir, 'linked-root');
    fs.symlinkSync(elsewhere, linkedRoot);
    await assert.rejects(new ContextStore({ root: linkedRoot }).update({ id: ID, cwd }, addBinding('a')), /refusing to follow symlink/);
  });

  it('lists a group with a FIFO named like a thread file without hanging, and moves the FIFO aside', async function () {
    await store.update({ id: ID, cwd }, addBinding('a'));
    const fifo = store.fileFor({ id: ID2, cwd });
    if (spawnSync('mkfifo', [fifo]).status !== 0) {
      this.skip(); // no mkfifo here (Windows)
    }
    // The reads are synchronous system calls: an open that waited for a FIFO's writer would hang
    // the extension host or the shim, and this test with it.
    const listed = await store.listThreads(store.keyFor(cwd));
    assert.deepEqual(listed.map((e) => e.context.thread.id), [ID]);
    assert.equal(fs.existsSync(fifo), false, 'the FIFO was moved aside');
    assert.ok(warnings.some((w) => w.includes('not a regular file')), warnings.join('\n'));
  });

  it('tightens a group directory someone opened up', async () => {
    await store.update({ id: ID, cwd }, addBinding('a'));
    const group = path.dirname(store.fileFor({ id: ID, cwd }));
    fs.chmodSync(group, 0o755);
    await new ContextStore({ root }).update({ id: ID, cwd }, addBinding('b'));
    assert.equal(mode(group), 0o700);
  });

  it('fails with a clear error when the store directory is read-only', async function () {
    const roRoot = path.join(dir, 'ro');
    fs.mkdirSync(roRoot, { mode: 0o700 });
    if (process.getuid?.() === 0) {
      // root ignores permission bits: run the attempt as an unprivileged user instead
      fs.chownSync(dir, 65534, 65534);
      fs.chmodSync(dir, 0o755);
      fs.chownSync(roRoot, 65534, 65534);
      fs.chmodSync(roRoot, 0o500);
      // The unprivileged user may not be able to reach this checkout (a clone in a 0700 temp
      // dir, as CI makes): give it the worker as one self-contained file in the open test dir.
      const worker = path.join(dir, 'storeWorker.js');
      const esbuild = await import('esbuild');
      esbuild.buildSync({ entryPoints: [path.join(__dirname, 'storeWorker.js')], bundle: true, platform: 'node', format: 'cjs', outfile: worker, logLevel: 'silent' });
      fs.chmodSync(worker, 0o644);
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync(process.execPath, [worker, 'append', roRoot, cwd, ID, 'w', '1'], {
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: dir },
        timeout: 20_000,
      });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /context store: cannot create directory .*ro\/workspaces: permission denied/);
    } else {
      fs.chmodSync(roRoot, 0o500);
      await assert.rejects(new ContextStore({ root: roRoot }).update({ id: ID, cwd }, addBinding('a')), /cannot create directory .*: permission denied/);
    }
  });

  it('lists workspaces and threads, and the threads inside VS Code folders', async () => {
    const sub = path.join(cwd, 'packages', 'a');
    fs.mkdirSync(sub, { recursive: true });
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    await store.update({ id: ID, cwd }, addBinding('a'));
    await store.update({ id: ID2, cwd: sub }, (c) => c ?? store.newContext({ id: ID2, cwd: sub }));
    await store.update({ id: '01a20dd3-3000-7000-8000-000000000003', cwd: other }, (c) => c ?? store.newContext({ id: '01a20dd3-3000-7000-8000-000000000003', cwd: other }));
    const ws = await store.listWorkspaces();
    assert.equal(ws.length, 3);
    assert.deepEqual(ws.map((w) => w.cwd).sort(), [cwd, sub, other].map((p) => fs.realpathSync(p)).sort());
    const inProject = await store.listThreadsInFolders([cwd]);
    assert.deepEqual(inProject.map((t) => t.context.thread.id).sort(), [ID, ID2].sort());
    assert.equal((await store.listThreads(store.keyFor(other))).length, 1);
    assert.equal(await store.findThreadFile(ID2), store.fileFor({ id: ID2, cwd: sub }));
    assert.equal(await store.findThreadFile('01a20dd3-9999-7000-8000-000000000009'), undefined);
    await assert.rejects(store.listThreads('../etc'), /invalid workspace key/);
  });

  it('garbage-collects ended threads older than N days, and nothing else', async () => {
    const old = '01a20dd3-4000-7000-8000-000000000004';
    await store.update({ id: old, cwd }, (c) => {
      const ctx = c ?? store.newContext({ id: old, cwd });
      ctx.thread.status = 'ended';
      return ctx;
    });
    await store.update({ id: ID, cwd }, addBinding('live-binding')); // running binding: kept
    await store.update({ id: ID2, cwd }, (c) => {
      const ctx = c ?? store.newContext({ id: ID2, cwd });
      ctx.thread.status = 'live';
      return ctx;
    });
    const stray = store.fileFor({ id: ID, cwd }) + '.123.abcd.tmp';
    fs.writeFileSync(stray, 'x');
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    fs.utimesSync(stray, hourAgo, hourAgo);
    assert.deepEqual(await store.gc(7), [stray], 'nothing is 7 days old yet');
    const removed = await store.gc(7, Date.now() + 8 * 86_400_000);
    assert.deepEqual(removed, [store.fileFor({ id: old, cwd })]);
    assert.ok(fs.existsSync(store.fileFor({ id: ID, cwd })));
    assert.ok(fs.existsSync(store.fileFor({ id: ID2, cwd })));
  });

  it("garbage-collects a thread whose file still says live once Codex deleted its lock file (the shim's last write came first, or was cut off), in that Codex home's own store only", async () => {
    const home = path.join(dir, 'home', '.codex');
    const locks = path.join(home, 'thread-writer-locks');
    fs.mkdirSync(locks, { recursive: true });
    const dead = await deadPid();
    const liveThread = (id: string, binding: Partial<McpBinding>) => (cur: ThreadContext | undefined): ThreadContext => {
      const ctx = cur ?? store.newContext({ id, cwd });
      ctx.thread.status = 'live';
      ctx.bindings.push({ server: 'probe', shimPid: dead, resolvedBy: 'env', status: 'exited', startedAt: new Date().toISOString(), callCount: 1, corrections: [], ...binding });
      return ctx;
    };
    const lastWriteFirst = '01a20dd3-5000-7000-8000-000000000005';
    const cutOff = '01a20dd3-6000-7000-8000-000000000006';
    const stillLoaded = '01a20dd3-7000-7000-8000-000000000007';
    await store.update({ id: lastWriteFirst, cwd }, liveThread(lastWriteFirst, {}));
    await store.update({ id: cutOff, cwd }, liveThread(cutOff, { status: 'running' })); // its shim was SIGKILLed
    await store.update({ id: stillLoaded, cwd }, liveThread(stillLoaded, {}));
    fs.writeFileSync(path.join(locks, `${stillLoaded}.lock`), '');
    const later = Date.now() + 8 * 86_400_000;

    const otherHome = path.join(dir, 'other-home');
    fs.mkdirSync(path.join(otherHome, 'thread-writer-locks'), { recursive: true }); // none of these threads' locks
    const shared = new ContextStore({ root, codexHome: otherHome });
    assert.deepEqual(await shared.gc(7, later), [], 'a store that is not this home\'s default keeps every live thread');
    assert.deepEqual(await store.gc(7, later), [], 'without its Codex home, a live thread is kept');
    const own = new ContextStore({ root, codexHome: home });
    assert.deepEqual(await own.gc(7, Date.now()), [], 'nothing is 7 days old yet');
    fs.renameSync(locks, `${locks}.off`);
    assert.deepEqual(await own.gc(7, later), [], 'a Codex home without a lock folder (a Codex that writes none) gives no evidence');
    fs.renameSync(`${locks}.off`, locks);
    assert.deepEqual((await own.gc(7, later)).sort(), [store.fileFor({ id: lastWriteFirst, cwd }), store.fileFor({ id: cutOff, cwd })].sort());
    assert.ok(fs.existsSync(store.fileFor({ id: stillLoaded, cwd })), 'the thread Codex still holds is kept');
  });

  it('leaves no lock directory or fence file beside a thread file after its updates', async () => {
    for (let i = 0; i < 5; i++) {
      await store.update({ id: ID, cwd }, addBinding(`s${i}`));
    }
    const dirEntries = fs.readdirSync(path.dirname(store.fileFor({ id: ID, cwd })));
    assert.deepEqual(dirEntries.sort(), [`${ID}.json`, 'workspace.json']);
  });

  it('a holder that keeps its lock past the refresh interval is not taken for compromised (its token does not count as someone else\'s change)', async () => {
    const slow = new ContextStore({ root, staleMs: 2000, logger: { warn: (m) => warnings.push(m) } });
    await slow.update({ id: ID, cwd }, async (cur) => {
      await new Promise((r) => setTimeout(r, 1600)); // proper-lockfile refreshes after staleMs / 2
      return addBinding('slow')(cur);
    });
    assert.deepEqual(warnings, []);
    assert.equal((await slow.read({ id: ID, cwd }))?.bindings.length, 1);
  });

  it('does not break a lock on a fence of another lock generation (a fence file naming a dead process beside a fresh lock)', async () => {
    const file = store.fileFor({ id: ID, cwd });
    await store.ensureGroup(cwd);
    const dead = await deadPid();
    // A fresh lock whose holder has not written its token yet, and an old fence beside it that
    // names a dead process: the fence belongs to an earlier lock, not to this one.
    fs.mkdirSync(`${file}.lock`);
    fs.writeFileSync(`${file}.owner`, `${os.hostname()}:${dead}:0123456789abcdef`);
    const quick = new ContextStore({ root, lockWaitMs: 600 });
    await assert.rejects(quick.update({ id: ID, cwd }, addBinding('x')), /timed out after \d+ ms waiting for the lock/);
    assert.ok(fs.existsSync(`${file}.lock`), "the other holder's lock was respected");
  });

  it("takes over at once a lock whose own token names a dead process on this host, and leaves nothing behind", async () => {
    const file = store.fileFor({ id: ID, cwd });
    await store.ensureGroup(cwd);
    const dead = await deadPid();
    fs.mkdirSync(`${file}.lock`);
    fs.writeFileSync(path.join(`${file}.lock`, 'owner'), `${os.hostname()}:${dead}:0123456789abcdef\n`);
    const quick = new ContextStore({ root, lockWaitMs: 600 });
    const started = Date.now();
    await quick.update({ id: ID, cwd }, addBinding('x'));
    assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms`);
    assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), [`${ID}.json`, 'workspace.json']);
  });

  it('gcIfDue runs gc at most once per interval across callers, keeping the last run in the store, and creates no store', async () => {
    const none = new ContextStore({ root: path.join(dir, 'no-store') });
    assert.equal(await gcIfDue(none), undefined);
    assert.equal(fs.existsSync(none.root), false, 'nothing created for a store that does not exist');
    const ended = '01a20dd3-4000-7000-8000-000000000004';
    await store.update({ id: ended, cwd }, (c) => {
      const ctx = c ?? store.newContext({ id: ended, cwd });
      ctx.thread.status = 'ended';
      return ctx;
    });
    const later = Date.now() + 8 * 86_400_000;
    assert.deepEqual(await gcIfDue(store, { days: 7, minIntervalMs: 3_600_000, now: later }), [store.fileFor({ id: ended, cwd })]);
    assert.ok(fs.existsSync(path.join(root, 'gc.json')));
    assert.equal(await gcIfDue(store, { days: 7, minIntervalMs: 3_600_000, now: later + 60_000 }), undefined, 'skipped within the interval');
    assert.deepEqual(await gcIfDue(store, { days: 7, minIntervalMs: 3_600_000, now: later + 3_700_000 }), [], 'runs again after it');
  });

  it('reports changes to context files through a watcher', async () => {
    const watcher = store.watch({ pollMs: 200 });
    const changes: string[] = [];
    let notify: () => void = () => undefined;
    watcher.onDidChange((c) => {
      changes.push(`${c.kind}:${c.threadId}`);
      notify();
    });
    try {
      await watcher.start();
      const waitFor = (entry: string) =>
        within(
          new Promise<void>((resolve) => {
            notify = () => changes.includes(entry) && resolve();
            notify();
          }),
          5000,
          `watcher event ${entry}`,
        );
      // the store did not exist when the watcher started: the first group appears later
      await new ContextStore({ root }).update({ id: ID, cwd }, addBinding('a'));
      // fs.watch cannot watch a directory that does not exist yet: the poll finds it
      await waitFor(`changed:${ID}`);
      changes.length = 0;
      await new ContextStore({ root }).update({ id: ID, cwd }, addBinding('b'));
      await waitFor(`changed:${ID}`);
      fs.unlinkSync(store.fileFor({ id: ID, cwd }));
      await waitFor(`removed:${ID}`);
    } finally {
      watcher.dispose();
    }
  });

  it('resolves its location from the setting, CODEX_THREAD_CONTEXT_DIR, CODEX_HOME, then ~/.codex', () => {
    assert.equal(resolveStoreRoot({ HOME: '/h' }), '/h/.codex/thread-context');
    assert.equal(resolveStoreRoot({ HOME: '/h', CODEX_HOME: '/c' }), '/c/thread-context');
    assert.equal(resolveStoreRoot({ HOME: '/h', CODEX_HOME: '/c', CODEX_THREAD_CONTEXT_DIR: '~/ctx' }), '/h/ctx');
    assert.equal(resolveStoreRoot({ HOME: '/h', CODEX_THREAD_CONTEXT_DIR: '/e' }, '/setting'), '/setting');
  });
});
