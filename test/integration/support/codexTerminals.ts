// The real Codex TUI in real integrated terminals of the VS Code under test: opening a terminal
// whose `codex` is the pinned CLI, starting the TUI and waiting for its prompt, submitting a prompt
// the way a user's paste arrives, reading the extension's view of it, and stopping the TUI's shared
// daemon afterwards. Used by the terminals suite and the terminal-association bench.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { codexEntryScript } from '../../support/codexCli';
import type { TreeSnapshotNode } from '../../../src/ui/tree/treeSnapshot';
import type { HarnessCodex } from './harnessCodex';
import { killStrayProcesses } from '../codeServer/strays';

const EXTENSION_ID = 'codex-thread-context.codex-thread-context';

export interface Association {
  threadId: string;
  certainty: 'exact' | 'probable';
  via: string;
}
export type SnapNode = TreeSnapshotNode;
/** The test API the extension returns from activate(). */
export interface Api {
  whenIdle(): Promise<void>;
  snapshot(view: 'threads' | 'servers'): Promise<SnapNode[]>;
  node(view: 'threads' | 'servers', threadId: string): Promise<unknown>;
  terminalThread(terminal: vscode.Terminal): Association | undefined;
  terminalStatus(): { visible: boolean; text: string; tooltip: string; warning: boolean };
  recentLog(): string[];
}

export async function api(): Promise<Api> {
  return vscode.extensions.getExtension<Api>(EXTENSION_ID)!.activate();
}

export function flatten(nodes: SnapNode[]): SnapNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

/** The row of thread `id` (its tooltip's "Thread id"; a fork's tooltip names its parent too). */
export function threadRow(nodes: SnapNode[], id: string): SnapNode | undefined {
  return flatten(nodes).find((n) => n.contextValue?.startsWith('thread.') && n.tooltip?.includes(`Thread id: \`${id}\``));
}

/** Polls `probe` (after each idle point of the views) until it returns something. */
export async function eventually<T>(probe: (a: Api) => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
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
      const log = a.recentLog().filter((l) => l.includes('terminals:')).slice(-20);
      throw new Error(`timed out waiting for ${what}\nterminals: ${terms.join('; ')}\nthreads view: ${JSON.stringify(flatten(threads).map((n) => [n.label, n.description, n.contextValue]))}\nlog:\n${log.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Makes the harness's Codex home ready for the TUI and returns the path of a `codex` that is the
 * pinned CLI. The TUI asks whether to trust a folder it has not seen: the config says so, as a
 * user's would.
 */
export function prepareTuiHome(codex: HarnessCodex): string {
  codex.home.writeConfig({
    modelBaseUrl: codex.mock.baseUrl,
    extraTablesToml: `[projects.${JSON.stringify(fs.realpathSync(codex.workspace))}]\ntrust_level = "trusted"`,
  });
  const bin = path.join(codex.home.root, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const codexBin = path.join(bin, 'codex');
  if (!fs.existsSync(codexBin)) {
    fs.symlinkSync(codexEntryScript(), codexBin);
  }
  return codexBin;
}

/** A terminal in the workspace whose Codex home is the harness's. */
export function openCodexTerminal(codex: HarnessCodex, name: string): vscode.Terminal {
  const t = vscode.window.createTerminal({ name, cwd: codex.workspace, env: { CODEX_HOME: codex.home.codexHome } });
  t.show();
  return t;
}

/** Waits until the shell in `t` is ready for a command (shell integration active). */
export async function shellReady(t: vscode.Terminal): Promise<void> {
  await eventually(() => (t.shellIntegration ? true : undefined), `shell integration in ${t.name}`, 20_000);
}

/**
 * Stops the TUI's shared background daemon and its updater, which outlive the TUI by design and
 * keep writing into the Codex home: by their pid files, then every process run from the daemon's
 * binaries in `<codex home>/packages` (the updater writes no pid file).
 */
export async function stopDaemon(codexHome: string): Promise<void> {
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
  await killStrayProcesses(path.join(codexHome, 'packages'));
}

// CSI and OSC sequences and two-byte escapes, removed from terminal output before matching text.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** What the command running in a terminal printed (shell integration's stream, escapes removed). */
export class CommandOutput {
  text = '';
  private waiters: (() => void)[] = [];

  /** Reads the next command that starts in `t`. */
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

/** Types `codex [args]` into `t` (its output is read from then on), without waiting. */
export function launchTui(t: vscode.Terminal, codexBin: string, args = ''): CommandOutput {
  const out = new CommandOutput(t);
  t.sendText(`${codexBin}${args ? ` ${args}` : ''}`);
  return out;
}

/** Waits for the TUI's prompt. */
export async function tuiPrompt(t: vscode.Terminal, out: CommandOutput): Promise<CommandOutput> {
  await out.waitFor(/Ask Codex to do anything/, `the TUI prompt in ${t.name}`);
  return out;
}

/** Starts the interactive TUI (`codex [args]`) in `t` and waits for its prompt. */
export function startTui(t: vscode.Terminal, codexBin: string, args = ''): Promise<CommandOutput> {
  return tuiPrompt(t, launchTui(t, codexBin, args));
}

/**
 * Types a prompt into the TUI and submits it. The text goes in as a bracketed paste and Enter
 * only once the composer shows it: the TUI takes an Enter that follows fast typing within 120 ms
 * for a newline inside a paste, not for "submit".
 */
export async function submit(t: vscode.Terminal, out: CommandOutput, prompt: string): Promise<void> {
  const from = out.text.length;
  t.sendText(`\x1b[200~${prompt}\x1b[201~`, false);
  await out.waitForText(prompt, `"${prompt}" in the composer of ${t.name}`, from);
  t.sendText('\r', false);
}
