// Codex in VS Code's integrated terminals: the real Codex CLI (pinned, mock model) typed into real
// terminals of a real VS Code. What a user checks: the thread row names the terminal, the status
// bar follows the active terminal, the thread's context file records it, and it ends with the
// terminal.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codexEntryScript } from '../../support/codexCli';
import { HarnessCodex } from '../support/harnessCodex';

const EXTENSION_ID = 'codex-thread-context.codex-thread-context';

interface Association {
  threadId: string;
  certainty: 'exact' | 'probable';
  via: string;
}
interface SnapNode {
  label: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  children: SnapNode[];
}
interface Api {
  whenIdle(): Promise<void>;
  snapshot(view: 'threads' | 'servers'): Promise<SnapNode[]>;
  node(view: 'threads' | 'servers', threadId: string): Promise<unknown>;
  terminalThread(terminal: vscode.Terminal): Association | undefined;
  terminalStatus(): { visible: boolean; text: string; tooltip: string; warning: boolean };
}

async function api(): Promise<Api> {
  return vscode.extensions.getExtension<Api>(EXTENSION_ID)!.activate();
}

/** Polls `probe` (after each idle point of the views) until it returns something. */
async function eventually<T>(probe: (a: Api) => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const a = await api();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await a.whenIdle();
    const got = await probe(a);
    if (got !== undefined) {
      return got;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function flatten(nodes: SnapNode[]): SnapNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

function threadRow(nodes: SnapNode[], id: string): SnapNode | undefined {
  return flatten(nodes).find((n) => n.contextValue?.startsWith('thread.') && n.tooltip?.includes(id));
}

/** The id of the thread whose context file in the store records this terminal, if any. */
function contextFileTerminal(codex: HarnessCodex, threadId: string): { name: string; processId?: number } | undefined {
  const workspaces = path.join(codex.home.codexHome, 'thread-context', 'workspaces');
  for (const key of fs.existsSync(workspaces) ? fs.readdirSync(workspaces) : []) {
    const file = path.join(workspaces, key, `${threadId}.json`);
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')).terminal;
      } catch {
        return undefined; // being replaced: read again
      }
    }
  }
  return undefined;
}

describe('terminals: which integrated terminal runs which Codex thread', function () {
  this.timeout(180_000);
  let codex: HarnessCodex | undefined;
  let codexBin: string;
  const terminals: vscode.Terminal[] = [];
  let release: (() => void) | undefined;
  /** Turns wait for `release()` while this is true, so a thread stays busy while the test looks. */
  let holdTurns = true;

  /** A terminal in the workspace whose Codex home is the harness's; `codex` is the pinned CLI. */
  function openTerminal(name: string): vscode.Terminal {
    const t = vscode.window.createTerminal({ name, cwd: codex!.workspace, env: { CODEX_HOME: codex!.home.codexHome } });
    terminals.push(t);
    t.show();
    return t;
  }

  /** Waits until the shell in `t` is ready for a command (shell integration active). */
  async function ready(t: vscode.Terminal): Promise<void> {
    await eventually(() => (t.shellIntegration ? true : undefined), `shell integration in ${t.name}`, 20_000);
  }

  beforeEach(async () => {
    holdTurns = true;
    let gate = new Promise<void>((r) => (release = r));
    codex = await HarnessCodex.start({
      turns: async () => {
        if (holdTurns) {
          await gate;
          gate = new Promise<void>((r) => (release = r));
        }
        return 'done';
      },
    });
    // The TUI asks whether to trust a folder it has not seen: say so in the config, as a user's would.
    codex.home.writeConfig({
      modelBaseUrl: codex.mock.baseUrl,
      extraTablesToml: `[projects.${JSON.stringify(fs.realpathSync(codex.workspace))}]\ntrust_level = "trusted"`,
    });
    const bin = path.join(codex.home.root, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    codexBin = path.join(bin, 'codex');
    if (!fs.existsSync(codexBin)) {
      fs.symlinkSync(codexEntryScript(), codexBin);
    }
  });

  afterEach(async () => {
    release?.();
    for (const t of terminals.splice(0)) {
      t.dispose();
    }
    await codex?.dispose();
    codex = undefined;
  });

  it('a `codex exec` typed into a terminal is shown as running in that terminal (exact), in the status bar, and recorded in its context file', async () => {
    const t = openTerminal('exec terminal');
    await ready(t);
    t.sendText(`${codexBin} exec --skip-git-repo-check "hello from a terminal" </dev/null`);
    const a = await eventually((x) => {
      const got = x.terminalThread(t);
      return got?.certainty === 'exact' ? got : undefined;
    }, 'an exact association for the exec terminal');
    assert.equal(a.via, 'process-lock');
    const row = await eventually((x) => x.snapshot('threads').then((n) => threadRow(n, a.threadId)), 'the exec thread row');
    assert.match(row.description ?? '', /· in exec terminal$/);
    assert.match(row.contextValue ?? '', /\.inTerminal/);
    const status = await eventually((x) => (x.terminalStatus().visible ? x.terminalStatus() : undefined), 'the status bar item');
    assert.ok(!status.text.endsWith('?'), `exact, so no question mark: ${status.text}`);
    assert.ok(status.tooltip.includes(a.threadId), 'the status tooltip names the thread id');
    const recorded = await eventually(() => contextFileTerminal(codex!, a.threadId), 'the terminal in the context file');
    assert.equal(recorded.name, 'exec terminal');
    assert.equal(recorded.processId, await t.processId);

    release?.();
    await eventually((x) => (x.terminalThread(t) === undefined ? true : undefined), 'the association to end with the exec');
    const ended = await eventually((x) => x.snapshot('threads').then((n) => threadRow(n, a.threadId)), 'the ended row');
    assert.doesNotMatch(ended.description ?? '', /in exec terminal/);
    assert.match(ended.tooltip ?? '', /Was in terminal “exec terminal”/);
  });

  it('`codex resume <id>` is associated exactly from its command line, and closing the terminal ends it', async () => {
    holdTurns = false;
    const first = await codex!.exec('a thread to resume', { timeoutMs: 60_000 });
    const id = first.threadId!;
    const t = openTerminal('resume terminal');
    await ready(t);
    t.sendText(`${codexBin} resume ${id}`);
    const a = await eventually((x) => {
      const got = x.terminalThread(t);
      return got?.threadId === id && got.certainty === 'exact' ? got : undefined;
    }, 'the resumed thread, exact');
    assert.ok(a.via === 'command-line' || a.via === 'process-lock', a.via);
    t.dispose();
    await eventually((x) => (x.terminalThread(t) === undefined ? true : undefined), 'the association to end with the terminal');
    await eventually((x) => x.snapshot('threads').then((n) => (threadRow(n, id)?.description?.includes('resume terminal') ? undefined : true)), 'the row without the closed terminal');
  });

  it('the status bar follows the active terminal and hides for a terminal without Codex', async () => {
    const busy = openTerminal('codex busy');
    await ready(busy);
    busy.sendText(`${codexBin} exec --skip-git-repo-check "stay busy" </dev/null`);
    const a = await eventually((x) => (x.terminalThread(busy)?.certainty === 'exact' ? x.terminalThread(busy) : undefined), 'the busy terminal association');
    await eventually((x) => (x.terminalStatus().visible && x.terminalStatus().tooltip.includes(a.threadId) ? true : undefined), 'the status item for the busy terminal');
    const plain = openTerminal('plain shell');
    await ready(plain);
    plain.show();
    await eventually((x) => (vscode.window.activeTerminal === plain && !x.terminalStatus().visible ? true : undefined), 'the status item hidden for the plain shell');
    busy.show();
    await eventually((x) => (vscode.window.activeTerminal === busy && x.terminalStatus().visible ? true : undefined), 'the status item back for the busy terminal');
  });
});
