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
      const threads = await a.snapshot('threads');
      const terms = vscode.window.terminals.map((t) => `${t.name}: ${JSON.stringify(a.terminalThread(t))}`);
      throw new Error(`timed out waiting for ${what}\nterminals: ${terms.join('; ')}\nthreads view: ${JSON.stringify(flatten(threads).map((n) => [n.label, n.description, n.contextValue]))}`);
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

/** Stops the TUI's shared background daemon (and its updater), which outlive the TUI by design. */
function stopDaemon(codexHome: string): void {
  const dir = path.join(codexHome, 'app-server-daemon');
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.pid')) : []) {
    const pid = Number(fs.readFileSync(path.join(dir, f), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 1) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone, or not a group leader
        }
      }
    }
  }
}

// CSI and OSC sequences and two-byte escapes, removed from terminal output before matching text.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

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
    if (codex) {
      stopDaemon(codex.home.codexHome);
    }
    await codex?.dispose();
    codex = undefined;
  });

  /** What the command running in a terminal printed (shell integration's stream, escapes removed). */
  class CommandOutput {
    text = '';
    private waiters: (() => void)[] = [];

    constructor(t: vscode.Terminal) {
      const sub = vscode.window.onDidStartTerminalShellExecution(async (e) => {
        if (e.terminal !== t) {
          return;
        }
        sub.dispose();
        for await (const chunk of e.execution.read()) {
          this.text = (this.text + chunk.replace(ESCAPES, '')).slice(-50_000);
          this.waiters.splice(0).forEach((w) => w());
        }
      });
    }

    /**
     * Resolves once the output since `from` contains `text`. The TUI moves the cursor instead of
     * writing spaces, so whitespace is left out on both sides.
     */
    waitForText(text: string, what: string, from = 0, timeoutMs = 60_000): Promise<void> {
      const squeezed = text.replace(/\s+/g, '');
      return this.waitUntil((output) => output.replace(/\s+/g, '').includes(squeezed), what, from, timeoutMs);
    }

    /** Resolves once the output since `from` matches `pattern`. */
    waitFor(pattern: RegExp, what: string, from = 0, timeoutMs = 60_000): Promise<void> {
      return this.waitUntil((output) => pattern.test(output), what, from, timeoutMs);
    }

    private async waitUntil(done: (output: string) => boolean, what: string, from: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!done(this.text.slice(from))) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`timed out waiting for ${what}; the terminal output ended with:\n${this.text.slice(-1500)}`);
        }
        await new Promise<void>((r) => {
          this.waiters.push(r);
          setTimeout(r, Math.min(left, 1000));
        });
      }
    }
  }

  /** Starts the interactive TUI (`codex [args]`) in `t` and waits for its prompt. */
  async function startTui(t: vscode.Terminal, args = ''): Promise<CommandOutput> {
    const out = new CommandOutput(t);
    t.sendText(`${codexBin}${args ? ` ${args}` : ''}`);
    await out.waitFor(/Ask Codex to do anything/, `the TUI prompt in ${t.name}`);
    return out;
  }

  /**
   * Types a prompt into the TUI and submits it. The text goes in as a bracketed paste and Enter
   * only once the composer shows it: the TUI takes an Enter that follows fast typing within 120 ms
   * for a newline inside a paste, not for "submit".
   */
  async function submit(t: vscode.Terminal, out: CommandOutput, prompt: string): Promise<void> {
    const from = out.text.length;
    t.sendText(`\x1b[200~${prompt}\x1b[201~`, false);
    await out.waitForText(prompt, `"${prompt}" in the composer of ${t.name}`, from);
    t.sendText('\r', false);
  }

  /** Waits for the terminal's association to satisfy `ok`. */
  function association(t: vscode.Terminal, ok: (a: Association) => boolean, what: string, timeoutMs = 60_000): Promise<Association> {
    return eventually((x) => {
      const a = x.terminalThread(t);
      return a && ok(a) ? a : undefined;
    }, what, timeoutMs);
  }

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

  it('one default TUI is associated with its thread once it exists, exactly after its first turn', async () => {
    const t = openTerminal('tui');
    await ready(t);
    const out = await startTui(t);
    // Before its first message the daemon's new thread has no cwd on disk: nothing to show yet.
    await submit(t, out, 'hello from the TUI');
    const exact = await association(t, (a) => a.certainty === 'exact', 'the exact association after a turn');
    assert.equal(exact.via, 'turn-activity');
    const rows = await (await api()).snapshot('threads');
    assert.match(threadRow(rows, exact.threadId)?.description ?? '', /· in tui$/);
    assert.match(threadRow(rows, exact.threadId)?.label ?? '', /hello from the TUI/);
  });

  it('two default TUIs started in one folder 1.5 s apart each end up exactly on their own thread after a turn each', async () => {
    const one = openTerminal('tui one');
    const two = openTerminal('tui two');
    await Promise.all([ready(one), ready(two)]);
    const first = startTui(one);
    await new Promise((r) => setTimeout(r, 1500)); // the scenario itself: a user opens the second TUI 1.5 s later
    const [out1, out2] = await Promise.all([first, startTui(two)]);
    await submit(one, out1, 'first terminal speaking');
    const a1 = await association(one, (a) => a.certainty === 'exact', 'the first TUI exact');
    release?.();
    await submit(two, out2, 'second terminal speaking');
    const a2 = await association(two, (a) => a.certainty === 'exact' && a.threadId !== a1.threadId, 'the second TUI exact on another thread');
    const rows = await (await api()).snapshot('threads');
    assert.match(threadRow(rows, a1.threadId)?.label ?? '', /first terminal speaking/);
    assert.match(threadRow(rows, a2.threadId)?.label ?? '', /second terminal speaking/);
  });

  it('`/new` in a TUI moves the terminal to the new thread and the old thread keeps "was in terminal"', async () => {
    holdTurns = false;
    const t = openTerminal('mover');
    await ready(t);
    const out = await startTui(t);
    await submit(t, out, 'the first thread');
    const first = await association(t, (a) => a.certainty === 'exact', 'the first thread exact');
    await submit(t, out, '/new');
    await submit(t, out, 'the second thread');
    const second = await association(t, (a) => a.certainty === 'exact' && a.threadId !== first.threadId, 'the new thread exact');
    const rows = await (await api()).snapshot('threads');
    assert.match(threadRow(rows, second.threadId)?.label ?? '', /the second thread/);
    assert.match(threadRow(rows, first.threadId)?.tooltip ?? '', /Was in terminal “mover”/);
  });

  it('`codex --no-daemon` runs its thread in the terminal: exact once its turn ran', async () => {
    const t = openTerminal('no daemon');
    await ready(t);
    const out = await startTui(t, '--no-daemon');
    await association(t, (x) => x.certainty === 'exact' && x.via === 'process-lock', 'the no-daemon TUI, exact from the lock it holds');
    await submit(t, out, 'hello without daemon');
    const a = await association(t, (x) => x.certainty === 'exact', 'the exact association');
    assert.ok(a.via === 'process-lock' || a.via === 'turn-activity', a.via);
    const row = await eventually((x) => x.snapshot('threads').then((n) => (/hello without daemon/.test(threadRow(n, a.threadId)?.label ?? '') ? threadRow(n, a.threadId) : undefined)), 'the thread row titled by its first message');
    assert.match(row.description ?? '', /· in no daemon$/);
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
