import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CodexThread } from '../../../src/core/discovery/types';
import { ContextStore } from '../../../src/core/store/contextStore';
import { normalizeCwd } from '../../../src/core/store/workspaceKey';
import { validateThreadContext } from '../../../src/core/store/validateThreadContext';
import { ThreadContextWriter } from '../../../src/core/workspace/threadContextWriter';
import { start, within, type Started } from '../../support/processes';

const ID = '01a20dd3-146f-7680-86a1-782e736bec86';

describe('ThreadContextWriter', function () {
  this.timeout(120_000);
  let dir: string;
  let root: string;
  let folder: string;
  let store: ContextStore;
  const children: Started[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-writer-'));
    root = path.join(dir, 'store');
    folder = normalizeCwd(fs.mkdirSync(path.join(dir, 'project'), { recursive: true }) ?? path.join(dir, 'project'));
    store = new ContextStore({ root });
  });

  afterEach(() => {
    for (const c of children.splice(0)) {
      c.child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const thread = (over: Partial<CodexThread> = {}): CodexThread => ({
    id: ID,
    startedAt: 1_700_000_000_000,
    live: true,
    kind: 'terminal',
    cwd: folder,
    title: 'fix the tests',
    cliVersion: '0.169.0',
    rolloutPath: '/home/u/.codex/sessions/2026/12/06/rollout-x.jsonl',
    lastActivityAt: 1_800_000_000_000,
    hasMetadata: true,
    ...over,
  });

  const worker = (file: string, ...args: string[]): Started => {
    const p = start(process.execPath, [path.join(__dirname, file), ...args]);
    children.push(p);
    return p;
  };

  it('gives a thread with no MCP server its context file: who started it, title, Codex version, rollout, live, folders', async () => {
    const writer = new ThreadContextWriter(store, { warn: () => undefined });
    assert.equal(await writer.sync(thread(), [folder]), 'written');
    const ctx = await store.read({ id: ID, cwd: folder });
    assert.ok(ctx);
    assert.deepEqual(validateThreadContext(ctx), []);
    assert.equal(ctx.thread.startedBy, 'terminal');
    assert.equal(ctx.thread.title, 'fix the tests');
    assert.equal(ctx.thread.codexVersion, '0.169.0');
    assert.equal(ctx.thread.rolloutPath, '/home/u/.codex/sessions/2026/12/06/rollout-x.jsonl');
    assert.equal(ctx.thread.status, 'live');
    assert.deepEqual(ctx.workspace.folders, [folder]);
    assert.deepEqual(ctx.bindings, []);
  });

  it('touches no file for a thread whose file, as the views just read it, already says everything; still writes one that lacks something', async () => {
    await new ThreadContextWriter(store, { warn: () => undefined }).sync(thread(), [folder]);
    const current = await store.read({ id: ID, cwd: folder });
    assert.ok(current);
    const calls: string[] = [];
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (...args: unknown[]) => (calls.push(String(prop)), (v as (...a: unknown[]) => unknown).apply(target, args)) : v;
      },
    });
    const writer = new ThreadContextWriter(counting, { warn: () => undefined });
    writer.sawFile(current);
    assert.equal(await writer.sync(thread(), [folder]), 'unchanged');
    assert.deepEqual(calls, [], 'no lookup, read, lock or write');
    writer.forget(ID);
    writer.sawFile({ ...current, thread: { ...current.thread, title: 'an older title' } });
    assert.equal(await writer.sync(thread({ title: 'a newer title' }), [folder]), 'written');
    assert.equal((await store.read({ id: ID, cwd: folder }))?.thread.title, 'a newer title');
  });

  it('writes only when a field it owns changed, and records the end of a thread with its end time', async () => {
    const writer = new ThreadContextWriter(store, { warn: () => undefined });
    await writer.sync(thread(), [folder]);
    const file = store.fileFor({ id: ID, cwd: folder });
    const before = fs.statSync(file).mtimeMs;
    assert.equal(await writer.sync(thread(), [folder]), 'unchanged');
    assert.equal(await new ThreadContextWriter(store, { warn: () => undefined }).sync(thread(), [folder]), 'unchanged', 'a second window finds nothing to write');
    assert.equal(fs.statSync(file).mtimeMs, before);
    assert.equal(await writer.sync(thread({ live: false }), [folder]), 'written');
    const ctx = await store.read({ id: ID, cwd: folder });
    assert.equal(ctx?.thread.status, 'ended');
    assert.equal(ctx?.thread.endedAt, new Date(1_800_000_000_000).toISOString());
    assert.equal(writer.writeCount, 2);
  });

  it('writes into the file the shim already made under another cwd instead of making a second one', async () => {
    const serverCwd = path.join(dir, 'server-cwd');
    fs.mkdirSync(serverCwd);
    await store.update({ id: ID, cwd: serverCwd }, (cur) => cur ?? store.newContext({ id: ID, cwd: serverCwd }));
    await new ThreadContextWriter(store, { warn: () => undefined }).sync(thread(), [folder]);
    assert.equal(await store.read({ id: ID, cwd: folder }), undefined);
    assert.equal((await store.read({ id: ID, cwd: serverCwd }))?.thread.title, 'fix the tests');
  });

  it('loses nothing when 4 shim processes record bindings and calls while the extension rewrites the thread fields of the same file', async () => {
    const shims = Array.from({ length: 4 }, (_, i) => worker('shimWriterWorker.js', root, folder, ID, `server${i}`, '30'));
    const writer = new ThreadContextWriter(store, { warn: () => undefined });
    let flips = 0;
    const exited = Promise.all(shims.map((s) => s.exited));
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      await writer.sync(thread({ live: flips % 2 === 0, lastActivityAt: 1_800_000_000_000 + flips, title: `title ${flips}` }), [folder]);
      flips++;
    }
    const results = await within(exited, 110_000, 'shim writers');
    results.forEach((r, i) => assert.equal(r.code, 0, `shim ${i}: ${shims[i].stderr()}`));
    await writer.sync(thread({ live: true, title: 'final title' }), [folder]);
    const ctx = await store.read({ id: ID, cwd: folder });
    assert.ok(ctx);
    assert.ok(flips > 4, `the extension wrote during the shims' writes (${flips} syncs)`);
    assert.deepEqual(ctx.bindings.map((b) => [b.server, b.callCount, b.status]).sort(), [0, 1, 2, 3].map((i) => [`server${i}`, 30, 'exited']));
    assert.equal(ctx.thread.title, 'final title');
    assert.equal(ctx.thread.status, 'live');
    assert.deepEqual(ctx.workspace.folders, [folder]);
  });

  it('lets three windows that see the same change at once agree: exactly one writes it, the others write nothing', async () => {
    await new ThreadContextWriter(store, { warn: () => undefined }).sync(thread({ title: 'old title' }), [folder]);
    for (const status of ['live', 'ended']) {
      const windows = Array.from({ length: 3 }, () => worker('extensionWriterWorker.js', root, folder, folder, ID, status, 'same title'));
      const results = await within(Promise.all(windows.map((w) => w.exited)), 60_000, 'window writers');
      results.forEach((r, i) => assert.equal(r.code, 0, `window ${i}: ${windows[i].stderr()}`));
      const writes = windows.map((w) => Number(/wrote (\d+)/.exec(w.stdout())?.[1]));
      assert.deepEqual([...writes].sort(), [0, 0, 1], `${status}: writes per window`);
      const ctx = await store.read({ id: ID, cwd: folder });
      assert.equal(ctx?.thread.status, status);
      assert.equal(ctx?.thread.title, 'same title');
    }
  });
});
