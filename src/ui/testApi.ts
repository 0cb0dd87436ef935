// What activate() returns: the API the integration tests reach through
// vscode.extensions.getExtension(...).exports (CONTRACTS.md).
import type { CodexViews } from './codexViews';
import type { ExtensionLog } from './log';
import type { TreeSnapshotNode } from './tree/treeSnapshot';
import type { UiNode } from './tree/uiNode';
import * as vscode from 'vscode';
import type { TerminalAssociation } from '../core/terminals/terminalAssociations';
import type { TerminalStatusBar } from './terminals/terminalStatusBar';
import type { TerminalTracker } from './terminals/terminalTracker';

export interface CodexThreadContextApi {
  /** Resolves once pending refreshes have been applied to the views. */
  whenIdle(): Promise<void>;
  /** What a view shows now, as plain data (recursive). */
  snapshot(view: 'threads' | 'servers'): Promise<TreeSnapshotNode[]>;
  /** The log channel's recent lines, "[level] message" (an addition to the contract, for tests). */
  recentLog(): string[];
  /**
   * The row object a click hands to item commands, for the thread `threadId` (or its binding of
   * `server`); undefined when the view does not show it. An addition to the contract, for tests.
   */
  node(view: 'threads' | 'servers', threadId: string, server?: string): Promise<unknown>;
  /** Labels of the rows selected in a view (reveal selects). An addition to the contract, for tests. */
  selection(view: 'threads' | 'servers'): string[];
  /** The Codex thread a terminal runs, as the extension sees it (for tests). */
  terminalThread(terminal: vscode.Terminal): TerminalAssociation | undefined;
  /** The terminal status bar item: shown or not, its text and tooltip (for tests). */
  terminalStatus(): { visible: boolean; text: string; tooltip: string; warning: boolean };
  /**
   * Renders a view now, without waiting for idle: getChildren and getTreeItem answered for every
   * row, collapsed ones included (tooltips are not: VS Code asks for them on hover). Returns each
   * row's id and description. For the benchmark (bench/extensionHost.ts).
   */
  render(view: 'threads' | 'servers'): { id: string; description?: string }[];
  /** Fires when a view's rows were dropped for new ones (its onDidChangeTreeData). For the benchmark. */
  onDidChangeView(listener: (view: 'threads' | 'servers') => void): vscode.Disposable;
}

export function createApi(views: CodexViews, log: ExtensionLog, terminals: { tracker: TerminalTracker; statusBar: TerminalStatusBar }): CodexThreadContextApi {
  return {
    whenIdle: () => views.whenIdle(),
    snapshot: async (view) => {
      await views.whenIdle();
      return views.snapshot(view);
    },
    recentLog: () => log.recent(),
    selection: (view) => (view === 'threads' ? views.threadsView : views.serversView).selection.map((n) => n.presentation.label),
    node: async (view, threadId, server) => {
      await views.whenIdle();
      const provider = view === 'threads' ? views.threads : views.servers;
      return provider.find((n) => n.thread?.id === threadId && (server === undefined ? !n.binding : n.binding?.server === server));
    },
    terminalThread: (terminal) => terminals.tracker.threadOf(terminal),
    terminalStatus: () => terminals.statusBar.state(),
    render: (view) => {
      const provider = view === 'threads' ? views.threads : views.servers;
      const rows: { id: string; description?: string }[] = [];
      const walk = (nodes: UiNode[]): void => {
        for (const node of nodes) {
          const item = provider.getTreeItem(node);
          rows.push({ id: item.id ?? '', ...(typeof item.description === 'string' ? { description: item.description } : {}) });
          walk(provider.getChildren(node));
        }
      };
      walk(provider.getChildren());
      return rows;
    },
    onDidChangeView: (listener) =>
      vscode.Disposable.from(
        views.threads.onDidChangeTreeData(() => listener('threads')),
        views.servers.onDidChangeTreeData(() => listener('servers')),
      ),
  };
}
