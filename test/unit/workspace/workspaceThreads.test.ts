import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodexThreadDiscovery } from '../../../src/core/discovery/discovery';
import { ContextStore } from '../../../src/core/store/contextStore';
import { normalizeCwd } from '../../../src/core/store/workspaceKey';
import { WorkspaceThreads } from '../../../src/core/workspace/workspaceThreads';
import { removeDir, removeLock, tempDir, uuidV7, writeLock, writeRollout } from '../discovery/fixtures';
import { start, type Started } from '../../support/processes';

/** Resolves when `check` holds after a change notification; fails after `ms`. */
function whenModel(w: WorkspaceThreads, check: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const sub = w.onDidChange(() => {
      if (check()) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
}

describe('WorkspaceThreads', function () {
  this.timeout(60_000);
  let dir: string;
  let home: string;
  let folder: string;
  let w: WorkspaceThreads | undefined;
  const children: Started[] = [];

  beforeEach(() => {
    dir = tempDir('ctc-ws-');
    home = path.join(dir, 'codex-home');
    fs.mkdirSync(home);
    folder = normalizeCwd(path.join(dir, 'project'));
    fs.mkdirSync(folder);
  });

  afterEach(() => {
    w?.dispose();
    w = undefined;
    for (const c of children.splice(0)) {
      c.child.kill('SIGKILL');
    }
    removeDir(dir);
  });

  const make = (options: { writeContexts?: boolean } = {}): WorkspaceThreads => {
    const logs: string[] = [];
    const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), debug: () => undefined };
    return new WorkspaceThreads({
      discovery: new CodexThreadDiscovery({ codexHome: home, detectStaleLocks: false, useStateDb: false, debounceMs: 10 }),
      store: new ContextStore({ root: path.join(home, 'thread-context') }),
      folders: [{ path: folder, name: 'project' }],
      sinceDays: 7,
      logger,
      debounceMs: 10,
      storeWatch: { debounceMs: 10 },
      ...options,
    });
  };

  it('shows a new live thread of the workspace, writes its context file, and moves it to the ended group when its lock goes', async () => {
    const mine = uuidV7(Date.now() - 1000);
    const other = uuidV7(Date.now() - 900);
    writeRollout(home, { id: other, cwd: path.join(dir, 'elsewhere'), userMessage: 'not here' });
    w = make();
    await w.start();
    assert.equal(w.model().liveCount, 0);

    writeLock(home, mine);
    writeRollout(home, { id: mine, cwd: folder, originator: 'codex-tui', userMessage: 'add a button' });
    await whenModel(w, () => w!.model().folders[0].live.some((t) => t.id === mine && t.title === 'add a button'), 10_000, 'the live thread');
    await w.whenIdle();
    const file = new ContextStore({ root: path.join(home, 'thread-context') }).fileFor({ id: mine, cwd: folder });
    const ctx = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(ctx.thread.status, 'live');
    assert.equal(ctx.thread.startedBy, 'terminal');
    assert.equal(ctx.thread.title, 'add a button');
    assert.ok(!w.model().byId.has(other), 'a thread of another folder is not shown');

    removeLock(home, mine);
    await whenModel(w, () => w!.model().folders[0].ended.some((t) => t.id === mine), 10_000, 'the thread in the ended group');
    await w.whenIdle();
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).thread.status, 'ended');
  });

  it('shows at start a binding a shim filed under its own cwd outside the workspace', async () => {
    const mine = uuidV7(Date.now() - 2000);
    const theirs = uuidV7(Date.now() - 1000);
    const serverCwd = path.join(dir, 'server-cwd');
    writeLock(home, mine);
    writeRollout(home, { id: mine, cwd: folder, userMessage: 'mine' });
    writeRollout(home, { id: theirs, cwd: path.join(dir, 'elsewhere'), userMessage: 'theirs' });
    const store = new ContextStore({ root: path.join(home, 'thread-context') });
    for (const [id, server] of [[mine, 'notes'], [theirs, 'other']]) {
      await store.update({ id, cwd: serverCwd }, (cur) => {
        const ctx = cur ?? store.newContext({ id, cwd: serverCwd });
        ctx.bindings.push({ server, shimPid: process.pid, resolvedBy: 'parent-open-files', status: 'running', startedAt: new Date().toISOString(), callCount: 1, corrections: [] });
        return ctx;
      });
    }
    w = make({ writeContexts: false });
    await w.start();
    assert.deepEqual(w.model().byId.get(mine)?.bindings.map((b) => b.record.server), ['notes']);
    assert.ok(!w.model().byId.has(theirs), 'the other folder\'s thread is not shown');
  });

  it('shows a binding the shim records, with its call count, and a lost state when the shim is killed without a word', async () => {
    const id = uuidV7(Date.now() - 1000);
    writeLock(home, id);
    writeRollout(home, { id, cwd: folder, userMessage: 'go' });
    w = make();
    await w.start();
    // A stand-in shim process that records a running binding, then is SIGKILLed.
    const shim = start(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    children.push(shim);
    const store = new ContextStore({ root: path.join(home, 'thread-context') });
    await store.update({ id, cwd: folder }, (cur) => {
      const ctx = cur ?? store.newContext({ id, cwd: folder });
      ctx.bindings.push({ server: 'notes', shimPid: shim.child.pid!, resolvedBy: 'parent-open-files', status: 'running', startedAt: new Date().toISOString(), callCount: 2, corrections: [] });
      return ctx;
    });
    const binding = () => w!.model().byId.get(id)?.bindings[0];
    await whenModel(w, () => binding()?.state === 'running' && binding()?.record.callCount === 2, 10_000, 'the running binding');
    shim.child.kill('SIGKILL');
    await shim.exited;
    // Nothing writes a file: only the pid check can see it.
    await whenModel(w, () => binding()?.state === 'lost', 15_000, 'the lost binding');
  });
});
