// The status bar item for the active terminal's Codex thread: its title or short id, "?" while the
// association is only probable, and a warning colour when one of its MCP servers is unresolved,
// restarted or lost. Hidden when the active terminal runs no Codex. A click offers the thread's actions.
import * as vscode from 'vscode';
import type { ThreadView } from '../../core/workspace/threadModel';
import type { ThreadsSession } from '../threadsSession';
import type { TerminalTracker } from './terminalTracker';

export const TERMINAL_THREAD_ACTIONS = 'codexThreadContext.terminalThreadActions';
const TROUBLED = new Set(['unresolved', 'restarted', 'lost', 'failed']);
const MAX_LABEL = 32;

export class TerminalStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('codexThreadContext.terminalThread', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private visible = false;

  constructor(
    private readonly tracker: TerminalTracker,
    private readonly session: ThreadsSession,
  ) {
    this.item.name = 'Codex Thread of the Terminal';
    this.item.command = TERMINAL_THREAD_ACTIONS;
    this.disposables.push(
      vscode.window.onDidChangeActiveTerminal(() => this.update()),
      tracker.onDidChange(() => this.update()),
      session.onDidChange(() => this.update()),
      vscode.commands.registerCommand(TERMINAL_THREAD_ACTIONS, () => this.pickAction()),
    );
    this.update();
  }

  /** The active terminal's thread, as the views know it. */
  activeThread(): { thread: ThreadView; probable: boolean } | undefined {
    const a = this.tracker.threadOf(vscode.window.activeTerminal);
    const thread = a && this.session.threads?.model(false).byId.get(a.threadId);
    return thread ? { thread, probable: a.certainty !== 'exact' } : undefined;
  }

  /** What the item shows now (the test API reads it). */
  state(): { visible: boolean; text: string; tooltip: string; warning: boolean } {
    const tooltip = this.item.tooltip;
    return {
      visible: this.visible,
      text: this.item.text,
      tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''),
      warning: this.item.backgroundColor !== undefined,
    };
  }

  private update(): void {
    const active = this.activeThread();
    this.visible = active !== undefined;
    if (!active) {
      this.item.hide();
      return;
    }
    const { thread, probable } = active;
    const name = thread.title ? shorten(thread.title) : thread.shortId;
    const troubled = thread.bindings.filter((b) => TROUBLED.has(b.state));
    this.item.text = `$(${troubled.length ? 'warning' : 'comment-discussion'}) ${name}${probable ? ' ?' : ''}`;
    this.item.backgroundColor = troubled.length ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**Codex thread of this terminal**${probable ? ' (probably: not yet proven by a turn)' : ''}\n\n`);
    tooltip.appendMarkdown(`\`${thread.id}\`\n\n`);
    tooltip.appendText(thread.bindings.length ? thread.bindings.map((b) => `${b.server}: ${b.stateText}`).join('\n') : 'No MCP server bound yet.');
    this.item.tooltip = tooltip;
    this.item.show();
  }

  private async pickAction(): Promise<void> {
    const active = this.activeThread();
    if (!active) {
      return;
    }
    const node = { id: `status:${active.thread.id}`, thread: active.thread };
    const actions: { label: string; command: string }[] = [
      { label: '$(copy) Copy Thread Id', command: 'codexThreadContext.copyThreadId' },
      { label: '$(book) Open Transcript', command: 'codexThreadContext.openTranscript' },
      { label: '$(list-tree) Show Its MCP Servers in the Sidebar', command: 'codexThreadContext.revealInThreads' },
    ];
    const picked = await vscode.window.showQuickPick(actions, { placeHolder: `Codex thread ${active.thread.label}` });
    if (picked) {
      await vscode.commands.executeCommand(picked.command, node);
    }
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

function shorten(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}
