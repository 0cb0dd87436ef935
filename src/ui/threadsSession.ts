// The data of one window's views for the current settings and workspace folders: discovery, the
// context store and the workspace model over them. Rebuilt when either changes.
import * as vscode from 'vscode';
import type { Log } from './log';
import { CodexThreadDiscovery } from '../core/discovery/discovery';
import { headCacheFileIn } from '../core/discovery/headCache';
import { ContextStore } from '../core/store/contextStore';
import { WorkspaceThreads } from '../core/workspace/workspaceThreads';
import { readSettings, SECTION, type Settings } from './settings';
import type { Notice } from './threads/threadNodes';

const MAX_NOTICES = 5;

export class ThreadsSession implements vscode.Disposable {
  private current: { settings: Settings; store: ContextStore; discovery: CodexThreadDiscovery; threads: WorkspaceThreads } | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the data changed (or the session was rebuilt). */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private storeNotices: Notice[] = [];
  private starting: Promise<void> | undefined;

  /** `cacheDir`: the extension's private storage, where discovery keeps its rollout heads between sessions. */
  constructor(
    private readonly log: Log,
    private readonly cacheDir: string,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.restart('workspace folders changed')),
      vscode.workspace.onDidChangeConfiguration((e) => {
        // VS Code can report one change twice (the edit, then the settings file it wrote), and a
        // change of another of our settings leaves these alone: rebuild only when they differ.
        if (e.affectsConfiguration(SECTION) && JSON.stringify(readSettings()) !== JSON.stringify(this.current?.settings)) {
          this.restart('settings changed');
        }
      }),
    );
  }

  get settings(): Settings {
    return this.current?.settings ?? readSettings();
  }

  get threads(): WorkspaceThreads | undefined {
    return this.current?.threads;
  }

  get store(): ContextStore | undefined {
    return this.current?.store;
  }

  /** Problems to show as rows at the top of the Threads view. */
  notices(): Notice[] {
    const problems = (this.current?.threads.problems() ?? []).filter((p) => p.kind !== 'no-codex-home').map((p): Notice => ({ kind: 'error', message: p.message }));
    return [...problems, ...this.storeNotices];
  }

  start(): Promise<void> {
    this.starting ??= this.build();
    return this.starting;
  }

  async whenIdle(): Promise<void> {
    await this.starting;
    await this.current?.threads.whenIdle();
  }

  async refresh(): Promise<void> {
    await this.start();
    this.storeNotices = [];
    await this.current?.threads.refresh();
  }

  private restart(why: string): void {
    this.log.info(`views: ${why}; reloading`);
    this.disposeCurrent();
    this.storeNotices = [];
    this.starting = this.build();
    this.changed.fire();
  }

  private async build(): Promise<void> {
    const settings = readSettings();
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ path: f.uri.fsPath, name: f.name }));
    const logger = {
      info: (m: string) => this.log.info(m),
      warn: (m: string) => this.log.warn(m),
      debug: (m: string) => this.log.debug(m),
    };
    const store = new ContextStore({
      root: settings.storeRoot,
      codexHome: settings.codexHome,
      logger: {
        warn: (m) => {
          this.log.warn(m);
          // A corrupt file moved aside, a lock taken over: the user sees it in the view too.
          this.storeNotices = [{ kind: 'warning' as const, message: m.replace(/^context store: /, 'Context store: ') }, ...this.storeNotices].slice(0, MAX_NOTICES);
          this.changed.fire();
        },
        debug: (m) => this.log.debug(m),
      },
    });
    const discovery = new CodexThreadDiscovery({ codexHome: settings.codexHome, logger, headCacheFile: headCacheFileIn(this.cacheDir, settings.codexHome) });
    const threads = new WorkspaceThreads({
      discovery,
      store,
      folders,
      sinceDays: settings.endedThreadDays,
      logger,
      writeContexts: settings.writeThreadContext,
    });
    const current = { settings, store, discovery, threads };
    this.current = current;
    threads.onDidChange(() => this.changed.fire());
    this.log.info(`views: Codex home ${settings.codexHome}, context store ${settings.storeRoot}, ${folders.length} workspace folder(s), ended threads of ${settings.endedThreadDays} days`);
    try {
      await threads.start();
    } catch (err) {
      this.log.error(`views: cannot start: ${(err as Error).message}`);
    }
    this.changed.fire();
  }

  private disposeCurrent(): void {
    this.current?.threads.dispose();
    void this.current?.discovery.dispose();
    this.current = undefined;
  }

  dispose(): void {
    this.disposeCurrent();
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
