// The Threads and MCP Servers views in a real VS Code, over real Codex threads (pinned CLI, mock
// model) whose MCP server runs behind the built shim. What a user would check: the rows, their
// states and counts, and that they follow what happens.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ContextStore } from '../../../src/core/store/contextStore';
import type { AppServerClient } from '../../support/codexCli';
import { recordsOf } from '../../support/probeRecords';
import { threadRow } from '../support/codexTerminals';
import { isProcessAlive } from '../../../src/core/processAlive';
import { HarnessCodex, harnessInfo } from '../support/harnessCodex';
import { headCacheFileIn } from '../../../src/core/discovery/headCache';
import { resolveCodexHome } from '../../../src/core/codexHome';
import type { TreeSnapshotNode } from '../../../src/ui/tree/treeSnapshot';

const EXTENSION_ID = 'codex-thread-context.codex-thread-context';

type SnapNode = TreeSnapshotNode;
interface Api {
  whenIdle(): Promise<void>;
  snapshot(view: 'threads' | 'servers'): Promise<SnapNode[]>;
  recentLog(): string[];
  node(view: 'threads' | 'servers', threadId: string, server?: string): Promise<unknown>;
  selection(view: 'threads' | 'servers'): string[];
}

async function api(): Promise<Api> {
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID)!;
  return ext.activate();
}

/** Polls the view (after each idle point) until `pick` returns something; fails with the last snapshot. */
async function waitForView<T>(view: 'threads' | 'servers', pick: (nodes: SnapNode[]) => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const a = await api();
  const deadline = Date.now() + timeoutMs;
  let last: SnapNode[];
  for (;;) {
    await a.whenIdle();
    last = await a.snapshot(view);
    const got = pick(last);
    if (got !== undefined && got !== false) {
      return got;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; the ${view} view shows:\n${JSON.stringify(last.map(strip), null, 1).slice(0, 4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function strip(n: SnapNode): unknown {
  return { label: n.label, description: n.description, contextValue: n.contextValue, children: n.children.map(strip) };
}

describe('views: Threads and MCP Servers', function () {
  this.timeout(120_000);
  let codex: HarnessCodex | undefined;
  let app: AppServerClient | undefined;

  after(async () => {
    // Not a test (tests assert no timings): the figure for bench/README.md.
    const line = (await api()).recentLog().find((l) => l.includes('activated in'));
    console.log(`extension log: ${line ?? 'no activation line'}`);
  });

  afterEach(async () => {
    await app?.close().catch(() => undefined);
    app = undefined;
    await codex?.dispose();
    codex = undefined;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows a live thread with its wrapped server bound to it (right id, running, call count), counts a new call, and moves the thread to Ended with the server exited when Codex closes it', async () => {
    codex = await HarnessCodex.start({
      turns: [
        { callTool: { server: 'probe', tool: 'whoami' }, thenText: 'one' },
        { callTool: { server: 'probe', tool: 'whoami' }, thenText: 'two' },
      ],
      servers: (h) => ({ probe: h.wrappedProbe('probe') }),
    });
    app = await codex.appServer();
    const thread = await app.threadStart();
    await app.waitForMcpServerReady(thread.id, 'probe');
    await app.runTurn(thread.id, 'call whoami once');

    const binding = await waitForView('threads', (nodes) => threadRow(nodes, thread.id)?.children.find((c) => c.label === 'probe' && /1 call\b/.test(c.description ?? '')), 'the probe binding with 1 call');
    const row = threadRow(await (await api()).snapshot('threads'), thread.id)!;
    assert.match(row.contextValue!, /^thread\.live/);
    assert.equal(row.icon, 'circle-filled');
    assert.match(binding.contextValue!, /^binding\.running/);
    assert.equal(binding.icon, 'pass');
    assert.ok(binding.tooltip?.includes(thread.id), 'the binding tooltip names the thread id');
    const started = recordsOf(codex.recordFile, 'start').filter((r) => r.env.CODEX_THREAD_ID === thread.id);
    assert.ok(started.length >= 1, 'the server really got this thread id');
    assert.ok(binding.description?.includes(`pid ${started.at(-1)!.pid}`), `the row shows the server's pid: ${binding.description}`);

    await app.runTurn(thread.id, 'call whoami again');
    await waitForView('threads', (nodes) => threadRow(nodes, thread.id)?.children.find((c) => c.label === 'probe' && /2 calls/.test(c.description ?? '')), 'the binding with 2 calls');

    const servers = await waitForView('servers', (nodes) => nodes.find((n) => n.label === 'probe' && n.children.length > 0), 'the probe server with its live thread');
    assert.equal(servers.contextValue, 'mcpServer.wrapped');

    // Reveal in the other view selects the thread's row under the server there.
    await vscode.commands.executeCommand('codexThreadContext.revealInServers', await (await api()).node('threads', thread.id, 'probe'));
    assert.deepEqual((await api()).selection('servers').length, 1);
    assert.equal((await api()).selection('servers')[0], threadRow(await (await api()).snapshot('threads'), thread.id)!.label);

    // The server's stderr tail opens read-only and follows appends.
    const stderrLog = /Stderr log: `([^`]+)`/.exec(binding.tooltip ?? '')?.[1];
    assert.ok(stderrLog, `the binding tooltip names the stderr log: ${binding.tooltip}`);
    await vscode.commands.executeCommand('codexThreadContext.showServerStderr', await (await api()).node('threads', thread.id, 'probe'));
    const doc = vscode.window.activeTextEditor?.document;
    assert.equal(doc?.uri.scheme, 'codex-thread-context-file');
    assert.equal(doc?.uri.fsPath, stderrLog);
    const followed = new Promise<void>((resolve) => {
      const sub = vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === doc && e.document.getText().includes('appended by the test')) {
          sub.dispose();
          resolve();
        }
      });
    });
    fs.appendFileSync(stderrLog, 'appended by the test\n');
    await withTimeout(followed, 10_000, 'the stderr document to show the appended line');

    await app.close();
    app = undefined;
    const ended = await waitForView(
      'threads',
      (nodes) => {
        const group = nodes.find((n) => n.contextValue === 'endedGroup');
        return group && threadRow(group.children, thread.id);
      },
      'the thread in the Ended group',
    );
    assert.match(ended.contextValue!, /^thread\.ended/);
    const exited = await waitForView('threads', (nodes) => threadRow(nodes, thread.id)?.children.find((c) => c.label === 'probe' && /^binding\.(exited|lost)/.test(c.contextValue ?? '')), 'the exited binding');
    assert.notEqual(exited.icon, 'pass');
  });

  it('shows a binding restarted with the right id (a yellow restart icon, the correction in its tooltip) when the server was started with another thread id', async () => {
    const wrongId = '01900000-0000-7000-8000-00000000dead';
    codex = await HarnessCodex.start({
      turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
      // The shim takes CODEX_THREAD_ID from its environment as is: the first call names the real thread.
      servers: (h) => ({ probe: h.wrappedProbe('probe', { env: { CODEX_THREAD_ID: wrongId } }) }),
    });
    app = await codex.appServer();
    const thread = await app.threadStart();
    await app.waitForMcpServerReady(thread.id, 'probe');
    await app.runTurn(thread.id, 'call whoami');
    // The restart and the call it delivers are two records: wait for both.
    const binding = await waitForView(
      'threads',
      (nodes) => threadRow(nodes, thread.id)?.children.find((c) => c.label === 'probe' && c.contextValue?.startsWith('binding.restarted') && /· 1 call\b/.test(c.description ?? '')),
      'the restarted binding with its call',
    );
    assert.equal(binding.icon, 'debug-restart');
    assert.equal(binding.iconColor, 'charts.yellow');
    assert.match(binding.description ?? '', /^restarted with the right id · 1 call/);
    assert.ok(binding.tooltip?.includes(wrongId) && binding.tooltip.includes(thread.id), 'the tooltip shows the correction from → to');
  });

  it('shows a codex exec thread of the workspace after it ended, but not one that ran in another folder', async () => {
    codex = await HarnessCodex.start({ defaultText: 'done' });
    const outside = path.join(codex.home.root, 'elsewhere');
    fs.mkdirSync(outside, { recursive: true });
    const mine = await codex.exec('hello from the workspace');
    const other = await codex.exec('hello from elsewhere', { cwd: outside });
    await waitForView('threads', (nodes) => threadRow(nodes, mine.threadId!), 'the workspace exec thread');
    assert.equal(threadRow(await (await api()).snapshot('threads'), other.threadId!), undefined, 'the other folder’s thread is not shown');
    const row = threadRow(await (await api()).snapshot('threads'), mine.threadId!)!;
    assert.match(row.description ?? '', /^exec · ended/);

    await vscode.commands.executeCommand('codexThreadContext.showLiveOnly');
    try {
      assert.equal(threadRow(await (await api()).snapshot('threads'), mine.threadId!), undefined, 'live only hides the ended thread');
    } finally {
      await vscode.commands.executeCommand('codexThreadContext.showAllThreads');
    }
    assert.ok(threadRow(await (await api()).snapshot('threads'), mine.threadId!), 'show all brings it back');
  });

  it('keeps the rollout heads it read in its global storage, private (0600), for the next window to start from', async () => {
    codex = await HarnessCodex.start({ defaultText: 'done' });
    const run = await codex.exec('a thread to remember');
    await waitForView('threads', (nodes) => threadRow(nodes, run.threadId!), 'the exec thread');
    const storage = path.join(harnessInfo().userDataDir, 'User', 'globalStorage', EXTENSION_ID);
    const file = headCacheFileIn(storage, resolveCodexHome());
    // Written a moment (2 s) after discovery read a new head: wait for the file to name the thread.
    const deadline = Date.now() + 15_000;
    while (!(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(run.threadId!))) {
      if (Date.now() > deadline) {
        throw new Error(`${file} does not name ${run.threadId} after 15 s; the folder holds ${fs.existsSync(storage) ? fs.readdirSync(storage).join(', ') : 'nothing'}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (process.platform !== 'win32') {
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.statSync(storage).mode & 0o777, 0o700);
    }
    const cached = JSON.parse(fs.readFileSync(file, 'utf8')) as { heads: Record<string, { meta?: { id: string; cwd?: string } }> };
    const head = Object.values(cached.heads).find((h) => h.meta?.id === run.threadId);
    assert.equal(head?.meta?.cwd, fs.realpathSync(harnessInfo().workspace));
  });

  it('flags a server process still alive after its thread ended as an orphan, with a warning icon and the Stop action key; Stop asks for a confirmation and ends nothing without it', async () => {
    codex = await HarnessCodex.start({ defaultText: 'done' });
    const run = await codex.exec('a thread that ends');
    const id = run.threadId!;
    await waitForView('threads', (nodes) => threadRow(nodes, id)?.contextValue?.startsWith('thread.ended'), 'the ended thread');
    // A server process whose shim never recorded its end, as when Codex dies and the server stays.
    const leftover = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const store = new ContextStore({ root: path.join(process.env.CODEX_HOME!, 'thread-context') });
      const file = (await store.findThreadFile(id))!;
      await store.updateFile(file, (cur) => {
        cur!.bindings.push({ server: 'leftover', shimPid: leftover.pid!, resolvedBy: 'parent-open-files', status: 'running', startedAt: new Date().toISOString(), callCount: 0, corrections: [] });
        return cur;
      });
      const row = await waitForView('threads', (nodes) => threadRow(nodes, id)?.children.find((c) => c.label === 'leftover'), 'the leftover binding');
      assert.equal(row.contextValue, 'binding.running.orphan');
      assert.equal(row.icon, 'warning');
      assert.match(row.description ?? '', /^orphan: thread unloaded · running/);
      // Stop asks first. A host that runs extension tests shows no modal dialog: VS Code fails the
      // call with the dialog's text instead, which is how this test reads what the user would be asked.
      const node = await (await api()).node('threads', id, 'leftover');
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('codexThreadContext.stopServerProcesses', node)),
        /refused to show dialog in tests\. Contents: Stop the MCP server "leftover"\? It still runs although its Codex thread was unloaded\./,
      );
      assert.equal(leftover.exitCode, null);
      assert.ok(isProcessAlive(leftover.pid!), 'the server still runs');
    } finally {
      leftover.kill('SIGKILL');
    }
  });

  it('copies a thread id, opens its transcript read-only and its context file, and resumes it in a new terminal', async () => {
    codex = await HarnessCodex.start({ defaultText: 'done' });
    const run = await codex.exec('something to resume');
    const id = run.threadId!;
    await waitForView('threads', (nodes) => threadRow(nodes, id)?.contextValue?.includes('.context'), 'the thread with its context file');
    const node = await (await api()).node('threads', id);
    assert.ok(node, 'the row is there');

    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('codexThreadContext.copyThreadId', node);
    assert.equal(await vscode.env.clipboard.readText(), id);

    await vscode.commands.executeCommand('codexThreadContext.openTranscript', node);
    const transcript = vscode.window.activeTextEditor?.document;
    assert.equal(transcript?.uri.scheme, 'codex-thread-context-file', 'the transcript opens in the read-only scheme');
    assert.equal(transcript?.uri.fsPath, codex.home.rolloutFileOf(id));
    assert.match(transcript!.getText(), /"session_meta"/);

    await vscode.commands.executeCommand('codexThreadContext.openContextFile', node);
    const ctxDoc = vscode.window.activeTextEditor?.document;
    assert.ok(ctxDoc?.uri.fsPath.endsWith(`${id}.json`), `opened ${ctxDoc?.uri.fsPath}`);
    assert.equal(JSON.parse(ctxDoc!.getText()).thread.id, id);

    const opened = new Promise<vscode.Terminal>((resolve) => {
      const sub = vscode.window.onDidOpenTerminal((t) => {
        sub.dispose();
        resolve(t);
      });
    });
    await vscode.commands.executeCommand('codexThreadContext.resumeThread', node);
    const terminal = await opened;
    const options = terminal.creationOptions as vscode.TerminalOptions;
    assert.match(terminal.name, /^Codex /);
    assert.equal(fs.realpathSync(String(options.cwd)), fs.realpathSync(codex.workspace));
    const line = await commandLineOf(terminal, 20_000);
    assert.equal(line, `codex resume ${id}`);
    terminal.dispose();
  });

  it('lists wrapped and unwrapped servers from config.toml, and a syntax error as one error row with its line that the log explains', async () => {
    codex = await HarnessCodex.start({ servers: (h) => ({ wrapped: h.wrappedProbe('wrapped'), plain: h.directProbe('plain') }) });
    const servers = await waitForView('servers', (nodes) => (nodes.some((n) => n.label === 'plain') && nodes.some((n) => n.label === 'wrapped') ? nodes : undefined), 'both servers');
    assert.equal(servers.find((n) => n.label === 'wrapped')?.contextValue, 'mcpServer.wrapped');
    assert.equal(servers.find((n) => n.label === 'plain')?.contextValue, 'mcpServer.unwrapped');

    const configFile = path.join(codex.home.codexHome, 'config.toml');
    fs.appendFileSync(configFile, '\n[mcp_servers.broken\ncommand = "x"\n');
    const lines = fs.readFileSync(configFile, 'utf8').split('\n').length;
    const error = await waitForView('servers', (nodes) => nodes.find((n) => n.contextValue === 'configError'), 'the error row');
    assert.match(error.description ?? '', /^line \d+, column \d+$/);
    assert.ok(Number(/line (\d+)/.exec(error.description!)![1]) <= lines);
    assert.ok((await api()).recentLog().some((l) => l.startsWith('[warn] config:') && l.includes('not valid TOML')), 'the log says what happened');
  });

  it('shows a warning row and logs it when a context file is corrupt, and keeps showing the thread', async () => {
    codex = await HarnessCodex.start({ defaultText: 'done' });
    const run = await codex.exec('a thread whose file gets corrupted');
    const id = run.threadId!;
    const row = await waitForView('threads', (nodes) => threadRow(nodes, id), 'the thread');
    const file = /Context file: `([^`]+)`/.exec(row.tooltip ?? '')?.[1];
    assert.ok(file && fs.existsSync(file), `the tooltip names the context file: ${row.tooltip}`);
    fs.writeFileSync(file, '{ this is not json');
    const notice = await waitForView('threads', (nodes) => nodes.find((n) => n.contextValue === 'notice.warning' && n.label.includes(id)), 'the warning row');
    assert.match(notice.label, /moved it aside/);
    assert.ok(threadRow(await (await api()).snapshot('threads'), id), 'the thread is still shown');
    assert.ok((await api()).recentLog().some((l) => l.startsWith('[warn]') && l.includes(id) && l.includes('not valid JSON')));
  });

  it('shows the "no Codex home" welcome (an empty view, not an error) when the Codex home is missing, and recovers when it is back', async () => {
    const home = process.env.CODEX_HOME!;
    const away = `${home}.away`;
    fs.renameSync(home, away);
    try {
      await vscode.commands.executeCommand('codexThreadContext.refresh');
      await waitForView('threads', (nodes) => (nodes.length === 0 ? true : undefined), 'an empty Threads view');
      assert.ok((await api()).recentLog().some((l) => l.includes(`No Codex home at ${home}`)), 'the log says the Codex home is missing');
    } finally {
      // A Codex TUI daemon left by an earlier test keeps writing into the home and may have
      // re-created it meanwhile: the real home is the one moved away.
      fs.rmSync(home, { recursive: true, force: true });
      fs.renameSync(away, home);
    }
    await vscode.commands.executeCommand('codexThreadContext.refresh');
    await waitForView('threads', (nodes) => (nodes.length > 0 ? true : undefined), 'threads again');
  });
});

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))]);
}

/** The first command line the terminal's shell runs (shell integration). */
function commandLineOf(terminal: vscode.Terminal, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error('the terminal ran no command (shell integration events) in time'));
    }, timeoutMs);
    const sub = vscode.window.onDidStartTerminalShellExecution((e) => {
      if (e.terminal === terminal) {
        clearTimeout(timer);
        sub.dispose();
        resolve(e.execution.commandLine.value.trim());
      }
    });
  });
}
