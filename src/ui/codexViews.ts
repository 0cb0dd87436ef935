// The two views of the activity-bar container: their providers, the badge of live threads, the
// context keys the welcome content and menus use, and refresh on data events only.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { WorkspaceModel } from '../core/workspace/threadModel';
import { CodexConfigFiles } from './servers/codexConfigFiles';
import { serverRoots } from './servers/serverNodes';
import { threadRoots } from './threads/threadNodes';
import type { ThreadsSession } from './threadsSession';
import { NodeTreeProvider } from './tree/nodeTreeProvider';
import { snapshotTree, type TreeSnapshotNode } from './tree/treeSnapshot';
import type { UiNode } from './tree/uiNode';
import type { TerminalLookup } from './terminals/terminalDecoration';

export const THREADS_VIEW = 'codexThreadContext.threads';
export const SERVERS_VIEW = 'codexThreadContext.servers';
const LIVE_ONLY_KEY = 'codexThreadContext.liveOnly';

const EMPTY_MODEL: WorkspaceModel = { folders: [], liveCount: 0, byId: new Map(), sinceDays: 7 };

export class CodexViews implements vscode.Disposable {
  readonly threads: NodeTreeProvider;
  readonly servers: NodeTreeProvider;
  readonly threadsView: vscode.TreeView<UiNode>;
  readonly serversView: vscode.TreeView<UiNode>;
  private readonly disposables: vscode.Disposable[] = [];
  private liveOnlyValue: boolean;
  private terminals: TerminalLookup | undefined;

  constructor(
    private readonly memento: vscode.Memento,
    private readonly session: ThreadsSession,
    private readonly configs: CodexConfigFiles,
  ) {
    this.liveOnlyValue = memento.get<boolean>(LIVE_ONLY_KEY, false);
    this.threads = new NodeTreeProvider(() => threadRoots(this.model(), this.session.notices(), Date.now(), this.terminals));
    this.servers = new NodeTreeProvider(() => serverRoots(this.configs.current, this.model(false), this.session.settings.codexHome, Date.now()));
    this.threadsView = vscode.window.createTreeView(THREADS_VIEW, { treeDataProvider: this.threads, showCollapseAll: true });
    this.serversView = vscode.window.createTreeView(SERVERS_VIEW, { treeDataProvider: this.servers, showCollapseAll: true });
    this.disposables.push(
      this.threads,
      this.servers,
      this.threadsView,
      this.serversView,
      session.onDidChange(() => this.update()),
      configs.onDidChange(() => this.updateServers()),
    );
    void this.setContext();
  }

  /** Terminal names on thread rows; the views refresh when `onDidChange` fires. */
  showTerminals(lookup: TerminalLookup, onDidChange: vscode.Event<void>): void {
    this.terminals = lookup;
    this.disposables.push(onDidChange(() => this.threads.refresh()));
    this.threads.refresh();
  }

  get liveOnly(): boolean {
    return this.liveOnlyValue;
  }

  async setLiveOnly(value: boolean): Promise<void> {
    this.liveOnlyValue = value;
    await this.memento.update(LIVE_ONLY_KEY, value);
    this.update();
  }

  model(liveOnly = this.liveOnlyValue): WorkspaceModel {
    return this.session.threads?.model(liveOnly) ?? EMPTY_MODEL;
  }

  async whenIdle(): Promise<void> {
    await this.session.whenIdle();
    await this.configs.whenIdle();
  }

  snapshot(view: 'threads' | 'servers'): TreeSnapshotNode[] {
    return snapshotTree(view === 'threads' ? this.threads : this.servers);
  }

  private update(): void {
    this.threads.refresh();
    this.servers.refresh();
    const live = this.model(false).liveCount;
    this.threadsView.badge = live > 0 ? { value: live, tooltip: `${live} live Codex ${live === 1 ? 'thread' : 'threads'} in this workspace` } : undefined;
    this.threadsView.description = this.liveOnlyValue ? 'live only' : undefined;
    void this.setContext();
  }

  private updateServers(): void {
    this.servers.refresh();
    void this.setContext();
  }

  /** Context keys for welcome content and menus. */
  private async setContext(): Promise<void> {
    const threads = this.session.threads;
    let state: string;
    if (!threads) {
      state = 'loading';
    } else if (threads.problems().some((p) => p.kind === 'no-codex-home') || !fs.existsSync(threads.codexHome)) {
      state = 'noCodexHome';
    } else if (threads.folders.length === 0) {
      state = 'noFolder';
    } else if (this.model(false).byId.size === 0) {
      state = 'noThreads';
    } else if (this.liveOnlyValue && this.model().liveCount === 0) {
      state = 'noLiveThreads';
    } else {
      state = 'ready';
    }
    const files = this.configs.current;
    const serversState = files.some((f) => f.error) || files.some((f) => f.servers.length > 0) ? 'ready' : files.some((f) => f.exists) ? 'noServers' : 'noConfig';
    await Promise.all([
      vscode.commands.executeCommand('setContext', 'codexThreadContext.threadsState', state),
      vscode.commands.executeCommand('setContext', 'codexThreadContext.serversState', serversState),
      vscode.commands.executeCommand('setContext', LIVE_ONLY_KEY, this.liveOnlyValue),
    ]);
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
