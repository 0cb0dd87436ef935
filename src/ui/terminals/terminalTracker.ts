// Feeds what VS Code sees of its integrated terminals into the association rules (core) and records
// exact associations in the threads' context files. Work happens on events only: a terminal opens
// or closes, a Codex command starts or ends (shell integration), a thread starts, ends or shows
// activity. A Codex command gets a few follow-up process scans while Codex starts up.
import * as vscode from 'vscode';
import { codexProcessesUnder } from '../../core/terminals/codexInProcessTree';
import { TerminalAssociations, type PastTerminal, type TerminalAssociation } from '../../core/terminals/terminalAssociations';
import { TuiOutputScanner, isCodexCommandLine, threadFromCommandLine } from '../../core/terminals/terminalSignals';
import type { ThreadView } from '../../core/workspace/threadModel';
import type { Log } from '../log';
import type { ThreadsSession } from '../threadsSession';

/** Delays of the process scans after a Codex command starts (Codex forks its native binary and creates its thread in this time). */
const FOLLOW_UP_SCANS_MS = [300, 1500, 5000];

export interface TerminalOfThread {
  readonly terminal: vscode.Terminal;
  readonly association: TerminalAssociation;
}

export class TerminalTracker implements vscode.Disposable {
  readonly associations = new TerminalAssociations();
  private readonly keys = new WeakMap<vscode.Terminal, string>();
  private readonly terminals = new Map<string, vscode.Terminal>();
  private readonly lastActivity = new Map<string, number>();
  private readonly recorded = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private liveIds = '';
  private nextKey = 1;
  private disposed = false;
  /** Fires when an association changed. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly session: ThreadsSession,
    private readonly log: Log,
  ) {
    for (const t of vscode.window.terminals) {
      this.open(t);
    }
    this.disposables.push(
      this.associations.onDidChange(() => this.onAssociationsChanged()),
      vscode.window.onDidOpenTerminal((t) => this.open(t)),
      vscode.window.onDidCloseTerminal((t) => this.close(t)),
      vscode.window.onDidStartTerminalShellExecution((e) => this.onExecutionStart(e)),
      vscode.window.onDidEndTerminalShellExecution((e) => this.onExecutionEnd(e)),
      session.onDidChange(() => this.onThreadsChanged()),
    );
    this.onThreadsChanged();
  }

  /** The terminal running a thread now. */
  terminalOf(threadId: string): TerminalOfThread | undefined {
    const found = this.associations.terminalOf(threadId);
    const terminal = found && this.terminals.get(found.key);
    return terminal ? { terminal, association: found.association } : undefined;
  }

  /** The thread a terminal runs now. */
  threadOf(terminal: vscode.Terminal | undefined): TerminalAssociation | undefined {
    const key = terminal && this.keys.get(terminal);
    return key ? this.associations.current(key) : undefined;
  }

  history(threadId: string): readonly PastTerminal[] {
    return this.associations.history(threadId);
  }

  private open(t: vscode.Terminal): void {
    if (this.keys.has(t)) {
      return;
    }
    const key = `terminal-${this.nextKey++}`;
    this.keys.set(t, key);
    this.terminals.set(key, t);
    this.associations.openTerminal(key, t.name);
    void this.scan(key);
  }

  private close(t: vscode.Terminal): void {
    const key = this.keys.get(t);
    if (key) {
      this.associations.closeTerminal(key);
      this.terminals.delete(key);
    }
  }

  private onExecutionStart(e: vscode.TerminalShellExecutionStartEvent): void {
    const key = this.keys.get(e.terminal);
    const line = e.execution.commandLine.value;
    if (!key || !isCodexCommandLine(line)) {
      return;
    }
    const trusted = e.execution.commandLine.confidence === vscode.TerminalShellExecutionCommandLineConfidence.High;
    const thread = threadFromCommandLine(line);
    this.associations.codexCommandStarted(key, { ...(thread ? { thread } : {}), trusted, ...(e.execution.cwd ? { cwd: e.execution.cwd.fsPath } : {}) });
    this.log.debug(`terminals: ${e.terminal.name} runs Codex: ${line}`);
    void this.readOutput(key, e.execution);
    for (const ms of FOLLOW_UP_SCANS_MS) {
      setTimeout(() => void this.scan(key), ms).unref?.();
    }
  }

  private onExecutionEnd(e: vscode.TerminalShellExecutionEndEvent): void {
    const key = this.keys.get(e.terminal);
    if (key && isCodexCommandLine(e.execution.commandLine.value)) {
      this.associations.commandEnded(key);
      void this.scan(key);
    }
  }

  /** The TUI's turn signals and its reconnect line, from the command's output stream. */
  private async readOutput(key: string, execution: vscode.TerminalShellExecution): Promise<void> {
    const scanner = new TuiOutputScanner();
    try {
      for await (const chunk of execution.read()) {
        if (this.disposed) {
          return;
        }
        for (const signal of scanner.push(chunk)) {
          this.log.debug(`terminals: ${this.terminals.get(key)?.name ?? key}: TUI ${signal.kind === 'turn' ? signal.state : signal.kind}`);
          this.associations.tuiSignal(key, signal);
        }
      }
    } catch (err) {
      this.log.debug(`terminals: output of a Codex command could not be read: ${(err as Error).message}`);
    }
  }

  private async scan(key: string): Promise<void> {
    const terminal = this.terminals.get(key);
    const pid = await terminal?.processId;
    if (this.disposed || !terminal || pid === undefined) {
      return;
    }
    try {
      const found = await codexProcessesUnder(pid);
      this.associations.renameTerminal(key, terminal.name);
      this.associations.setProcesses(key, found, terminal.shellIntegration?.cwd?.fsPath);
    } catch (err) {
      this.log.debug(`terminals: scan of ${terminal.name} failed: ${(err as Error).message}`);
    }
  }

  private onThreadsChanged(): void {
    const threads = [...(this.session.threads?.model(false).byId.values() ?? [])];
    this.associations.setThreads(threads.map((t) => ({ id: t.id, live: t.live, cwd: t.cwd, startedAt: t.startedAt, forkedFromId: t.forkedFromId })));
    for (const t of threads) {
      const last = t.lastActivityAt;
      // A thread seen for the first time reports its last activity too: a daemon TUI's thread
      // enters the workspace only with its first turn (before it, its cwd is on no disk).
      if (last !== undefined && last !== this.lastActivity.get(t.id)) {
        this.associations.threadActivity(t.id, last);
        this.lastActivity.set(t.id, last);
      }
    }
    // A thread started or ended: the Codex processes in the terminals may have changed.
    const live = threads
      .filter((t) => t.live)
      .map((t) => t.id)
      .sort()
      .join();
    if (live !== this.liveIds) {
      this.liveIds = live;
      for (const key of this.terminals.keys()) {
        void this.scan(key);
      }
    }
  }

  private onAssociationsChanged(): void {
    this.changed.fire();
    void this.recordExact();
  }

  /** Writes `terminal: {name, processId}` into the context file of each exactly associated thread. */
  private async recordExact(): Promise<void> {
    const store = this.session.store;
    const model = this.session.threads?.model(false);
    if (!store || !model) {
      return;
    }
    for (const [key, terminal] of this.terminals) {
      const a = this.associations.current(key);
      const thread: ThreadView | undefined = a && model.byId.get(a.threadId);
      if (!a || a.certainty !== 'exact' || !thread) {
        continue;
      }
      const processId = await terminal.processId;
      const value = JSON.stringify({ name: terminal.name, processId });
      if (this.recorded.get(thread.id) === value) {
        continue;
      }
      this.recorded.set(thread.id, value);
      try {
        await store.update({ id: thread.id, cwd: thread.cwd }, (current) => {
          const base = current ?? store.newContext({ id: thread.id, cwd: thread.cwd });
          if (base.terminal?.name === terminal.name && base.terminal?.processId === processId) {
            return undefined;
          }
          return { ...base, terminal: { name: terminal.name, ...(processId !== undefined ? { processId } : {}) }, updatedAt: new Date().toISOString() };
        });
      } catch (err) {
        this.recorded.delete(thread.id);
        this.log.warn(`terminals: cannot record the terminal of thread ${thread.id}: ${(err as Error).message}`);
      }
    }
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
