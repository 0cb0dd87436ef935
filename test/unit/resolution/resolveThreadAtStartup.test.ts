import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextStore } from '../../../src/core/store/contextStore';
import { start, waitForOutput, type Started } from '../../support/processes';

const WORKER = path.join(__dirname, 'resolveWorker.js');
const FAKE_CODEX = path.join(__dirname, 'fakeCodex.js');

/** A UUIDv7 whose time is `ms`. */
function idAt(ms: number, n: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-${String(n).padStart(12, '0')}`;
}

interface Resolved {
  pid: number;
  threadId?: string;
  resolvedBy: string;
  threadless?: boolean;
  contextFile?: string;
}

describe('resolveThreadAtStartup (real processes, a fake codex parent)', function () {
  this.timeout(30_000);
  let dir: string;
  let home: string;
  let storeRoot: string;
  let project: string;
  let codexLink: string;
  const running: Started[] = [];

  before(function () {
    if (process.platform !== 'linux') {
      this.skip(); // the open-file path is exercised on Linux; macOS uses lsof with the same logic
    }
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-resolve-'));
    home = path.join(dir, 'codex-home');
    storeRoot = path.join(home, 'thread-context');
    project = path.join(dir, 'project');
    fs.mkdirSync(project, { recursive: true });
    fs.mkdirSync(home, { recursive: true });
    codexLink = path.join(dir, 'bin', 'codex');
    fs.mkdirSync(path.dirname(codexLink));
    fs.symlinkSync(process.execPath, codexLink); // the kernel names the process "codex"
  });

  afterEach(async () => {
    for (const p of running.splice(0)) {
      p.child.stdin?.end();
      p.child.kill('SIGKILL');
      await p.exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runUnderCodex(ids: string[], count: number, cwd: string, server = 'probe', extra: string[] = []): Promise<{ results: Resolved[]; codex: Started }> {
    const codex = start(codexLink, [FAKE_CODEX, home, ids.join(','), String(count), cwd, '--', WORKER, storeRoot, server, home, '1000', ...extra], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HOME: dir },
    });
    running.push(codex);
    await waitForOutput(codex, (o) => o.includes(']\n'), 20_000, 'the workers to resolve');
    return { results: JSON.parse(codex.stdout()) as Resolved[], codex };
  }

  it('finds the thread whose lock file its Codex parent holds, and claims it in the store', async () => {
    const id = idAt(Date.now() - 20, 1);
    const { results } = await runUnderCodex([id], 1, project);
    assert.equal(results.length, 1);
    assert.equal(results[0].threadId, id);
    assert.equal(results[0].resolvedBy, 'parent-open-files');
    const ctx = await new ContextStore({ root: storeRoot }).read({ id, cwd: project });
    assert.equal(ctx?.bindings.length, 1);
    assert.equal(ctx?.bindings[0].status, 'starting');
    assert.equal(ctx?.bindings[0].shimPid, results[0].pid);
    assert.equal(results[0].contextFile, new ContextStore({ root: storeRoot }).fileFor({ id, cwd: project }));
  });

  it('gives three servers started at once by one Codex three different threads: the lowest pid the oldest thread', async () => {
    const now = Date.now();
    const ids = [idAt(now - 30, 1), idAt(now - 20, 2), idAt(now - 10, 3)];
    const { results } = await runUnderCodex(ids, 3, project);
    const byPid = [...results].sort((a, b) => a.pid - b.pid);
    assert.deepEqual(byPid.map((r) => r.threadId), ids, 'spawned (pid order) first, the oldest thread first');
    assert.ok(results.every((r) => r.resolvedBy === 'parent-open-files'));
    const store = new ContextStore({ root: storeRoot });
    for (const r of results) {
      const ctx = await store.read({ id: r.threadId!, cwd: project });
      assert.deepEqual(ctx?.bindings.map((b) => [b.shimPid, b.status]), [[r.pid, 'starting']], 'each thread holds exactly the claim of its own server');
    }
  });

  it('prefers the newest thread created before the server started, and skips threads that already run this server', async () => {
    const now = Date.now();
    const older = idAt(now - 60_000, 1);
    const newer = idAt(now - 50, 2);
    const first = await runUnderCodex([older, newer], 1, project);
    assert.equal(first.results[0].threadId, newer);
    // the same server again while the first instance still runs: the other thread
    const second = await runUnderCodex([older, newer], 1, project);
    assert.equal(second.results[0].threadId, older);
    // a different server may share a thread
    const other = await runUnderCodex([older, newer], 1, project, 'another-server');
    assert.equal(other.results[0].threadId, newer);
  });

  it('does not claim a thread for the thread-less copy Codex starts in its home', async () => {
    const id = idAt(Date.now() - 20, 1);
    const { results } = await runUnderCodex([id], 1, home);
    assert.equal(results[0].threadId, undefined);
    assert.equal(results[0].threadless, true);
    assert.equal(fs.existsSync(path.join(storeRoot, 'workspaces')), false, 'nothing recorded');
  });

  it('uses CODEX_THREAD_ID from the environment as is', async () => {
    const id = idAt(Date.now(), 7);
    const p = start(process.execPath, [WORKER, storeRoot, 'probe', home, '0'], { cwd: project, env: { PATH: process.env.PATH, CODEX_THREAD_ID: id } });
    running.push(p);
    await waitForOutput(p, (o) => o.endsWith('\n'), 10_000, 'result');
    const r = JSON.parse(p.stdout()) as Resolved;
    assert.equal(r.threadId, id);
    assert.equal(r.resolvedBy, 'env');
  });

  it('falls back to the live lock files of the Codex home where open files cannot be listed', async () => {
    const id = idAt(Date.now() - 20, 4);
    fs.mkdirSync(path.join(home, 'thread-writer-locks'), { recursive: true });
    fs.writeFileSync(path.join(home, 'thread-writer-locks', `${id}.lock`), '');
    const p = start(process.execPath, [WORKER, storeRoot, 'probe', home, '0', 'none'], { cwd: project, env: { PATH: process.env.PATH } });
    running.push(p);
    await waitForOutput(p, (o) => o.endsWith('\n'), 10_000, 'result');
    const r = JSON.parse(p.stdout()) as Resolved;
    assert.equal(r.threadId, id);
    assert.equal(r.resolvedBy, 'live-locks');
  });

  it('uses what the extension recorded for the workspace, and otherwise stays unresolved', async () => {
    const noCodex = start(process.execPath, [WORKER, storeRoot, 'probe', home, '0'], { cwd: project, env: { PATH: process.env.PATH } });
    running.push(noCodex);
    await waitForOutput(noCodex, (o) => o.endsWith('\n'), 10_000, 'result');
    assert.deepEqual(JSON.parse(noCodex.stdout()).resolvedBy, 'unresolved');
    assert.equal(JSON.parse(noCodex.stdout()).threadId, undefined);

    const id = idAt(Date.now() - 1000, 5);
    const store = new ContextStore({ root: storeRoot });
    await store.update({ id, cwd: project }, (c) => {
      const ctx = c ?? store.newContext({ id, cwd: project });
      ctx.thread.status = 'live';
      ctx.terminal = { name: 'zsh', processId: 1234 };
      return ctx;
    });
    const p = start(process.execPath, [WORKER, storeRoot, 'probe', home, '0'], { cwd: project, env: { PATH: process.env.PATH } });
    running.push(p);
    await waitForOutput(p, (o) => o.endsWith('\n'), 10_000, 'result');
    const r = JSON.parse(p.stdout()) as Resolved;
    assert.equal(r.threadId, id);
    assert.equal(r.resolvedBy, 'extension');
  });
});
