// The live data behind the views: discovery's threads and the store's context files of this
// workspace, kept current from their change events (no polling of its own while nothing runs),
// and the extension's own context writes. Pure Node, so the views, the tests and the benchmark
// all drive the same thing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodexThreadDiscovery } from '../discovery/discovery';
import type { CodexThread } from '../discovery/types';
import type { ContextStore } from '../store/contextStore';
import type { StoreChange, StoreWatcher } from '../store/storeWatcher';
import { isSameOrInside, normalizeCwd } from '../store/workspaceKey';
import { bindingStatus, type IsAlive } from './bindingState';
import { buildWorkspaceModel, type ContextFileEntry, type WorkspaceFolderRef, type WorkspaceModel } from './threadModel';
import { ThreadContextWriter } from './threadContextWriter';
import { isProcessAlive, oncePerPid } from '../processAlive';
import { forEachLimit } from '../forEachLimit';

export interface WorkspaceLogger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface WorkspaceThreadsOptions {
  discovery: CodexThreadDiscovery;
  store: ContextStore;
  folders: readonly WorkspaceFolderRef[];
  sinceDays: number;
  logger: WorkspaceLogger;
  /** Keep the context files of the workspace's threads current (default true). */
  writeContexts?: boolean;
  /** How often the pids of running bindings are checked, only while some run. Default 5 s. */
  livenessCheckMs?: number;
  /** Batches bursts of events into one change notification. Default 40 ms. */
  debounceMs?: number;
  now?: () => number;
  isAlive?: IsAlive;
  /** Store watcher options (its poll backs up fs.watch). */
  storeWatch?: { pollMs?: number; debounceMs?: number };
}

export type WorkspaceProblemKind = 'no-codex-home' | 'store' | 'discovery';

export interface WorkspaceProblem {
  kind: WorkspaceProblemKind;
  message: string;
}

export class WorkspaceThreads {
  private readonly threads = new Map<string, CodexThread>();
  private readonly contexts = new Map<string, ContextFileEntry>(); // by file
  private readonly groupCwds = new Map<string, string>(); // store key -> cwd
  private readonly listeners = new Set<() => void>();
  private readonly normCache = new Map<string, string>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly writer: ThreadContextWriter | undefined;
  private readonly normFolders: string[];
  private storeWatcher: StoreWatcher | undefined;
  private discoverySub: { dispose(): void } | undefined;
  private storeSub: { dispose(): void } | undefined;
  private emitTimer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  private lastLiveness = '';
  private disposed = false;
  private problemList: WorkspaceProblem[] = [];
  private loadedOnce = false;
  private readonly cached = new Map<boolean, WorkspaceModel>();

  constructor(private readonly o: WorkspaceThreadsOptions) {
    this.normFolders = o.folders.map((f) => this.normalize(f.path));
    this.writer = o.writeContexts === false ? undefined : new ThreadContextWriter(o.store, o.logger, o.now);
  }

  get codexHome(): string {
    return this.o.discovery.codexHome;
  }

  get folders(): readonly WorkspaceFolderRef[] {
    return this.o.folders;
  }

  /** True once the first full load is in the model (the views can show rows). */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Problems that leave the views without data, for error rows and welcome content. */
  problems(): readonly WorkspaceProblem[] {
    return this.problemList;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * Loads everything (the views can render as soon as the first change notification fires), then
   * starts listening to discovery and the store, and takes in what changed in between.
   */
  async start(): Promise<void> {
    this.discoverySub = this.o.discovery.onDidChange((e) => this.track(this.onThread(e.thread, e.type)));
    this.storeWatcher = this.o.store.watch(this.o.storeWatch);
    this.storeSub = this.storeWatcher.onDidChange((c) => this.track(this.onStoreChange(c)));
    await this.track(this.reload());
    await Promise.all([
      this.o.discovery.watch().catch((err: Error) => this.o.logger.warn(`discovery: cannot watch ${this.codexHome}: ${err.message}`)),
      this.storeWatcher.start().catch((err: Error) => this.o.logger.warn(`context store: cannot watch ${this.o.store.root}: ${err.message}`)),
    ]);
    if (!this.disposed) {
      await this.track(this.catchUp());
    }
  }

  /** Threads and files that changed between the first load and the watchers' start. */
  private async catchUp(): Promise<void> {
    let changed = false;
    for (const t of this.o.discovery.current()) {
      const known = this.threads.get(t.id);
      if (!known || known.live !== t.live || known.title !== t.title || known.cwd !== t.cwd) {
        this.threads.set(t.id, t);
        changed = true;
        if (this.writer && this.foldersContaining(t.cwd).length > 0) {
          await this.sync(t);
        }
      }
    }
    const before = new Map([...this.contexts].map(([f, e]) => [f, e.context.updatedAt]));
    await this.loadContexts(Promise.resolve([...this.threads.values()])).catch((err: Error) => this.o.logger.warn(`context store: ${err.message}`));
    if (this.contexts.size !== before.size || [...this.contexts].some(([f, e]) => before.get(f) !== e.context.updatedAt)) {
      changed = true;
    }
    if (changed) {
      this.changed();
    }
  }

  /** Reads everything again (the Refresh command). */
  refresh(): Promise<void> {
    return this.track(this.reload());
  }

  /** Resolves once every load, write and pending notification has settled. */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0 || this.emitTimer) {
      await Promise.allSettled([...this.pending]);
      if (this.emitTimer) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  /** What the Threads view shows now. */
  model(liveOnly = false): WorkspaceModel {
    let model = this.cached.get(liveOnly);
    if (!model) {
      model = buildWorkspaceModel({
          folders: this.o.folders,
          threads: [...this.threads.values()],
          contexts: [...this.contexts.values()],
          sinceDays: this.o.sinceDays,
          now: (this.o.now ?? Date.now)(),
          liveOnly,
          isAlive: this.o.isAlive,
          normalize: (p) => this.normalize(p),
      });
      this.cached.set(liveOnly, model);
    }
    return model;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.emitTimer);
    clearInterval(this.livenessTimer);
    this.emitTimer = undefined;
    this.discoverySub?.dispose();
    this.storeSub?.dispose();
    this.storeWatcher?.dispose();
    this.listeners.clear();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    const settled = p.catch((err: unknown) => {
      this.o.logger.warn(`views: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return p;
  }

  private normalize(p: string): string {
    let n = this.normCache.get(p);
    if (n === undefined) {
      n = normalizeCwd(p);
      if (this.normCache.size > 10_000) {
        this.normCache.clear();
      }
      this.normCache.set(p, n);
    }
    return n;
  }

  private foldersContaining(cwd: string | undefined): string[] {
    if (!cwd) {
      return [];
    }
    const c = this.normalize(cwd);
    return this.normFolders.filter((f) => isSameOrInside(c, f));
  }

  private async reload(): Promise<void> {
    const problems: WorkspaceProblem[] = [];
    if (!fs.existsSync(this.codexHome)) {
      problems.push({ kind: 'no-codex-home', message: `No Codex home at ${this.codexHome}` });
    }
    // Discovery and this workspace's context files are read side by side; only the lookups in other
    // groups need the thread list.
    const t0 = Date.now();
    let discoveredIn = 0;
    const listing = this.o.discovery
      .list({ sinceDays: this.o.sinceDays })
      .catch((err: Error) => {
        problems.push({ kind: 'discovery', message: `Cannot read Codex threads in ${this.codexHome}: ${err.message}` });
        return [] as CodexThread[];
      })
      .finally(() => (discoveredIn = Date.now() - t0));
    try {
      await this.loadContexts(listing);
    } catch (err) {
      problems.push({ kind: 'store', message: `Cannot read the context store ${this.o.store.root}: ${(err as Error).message}` });
    }
    const list = await listing;
    this.threads.clear();
    for (const t of list) {
      this.threads.set(t.id, t);
    }
    this.problemList = problems;
    for (const p of problems) {
      this.o.logger.info(p.message);
    }
    this.o.logger.debug(`views: ${this.threads.size} threads known (${discoveredIn} ms), ${this.contexts.size} context files of this workspace (${Date.now() - t0} ms, side by side)`);
    this.loadedOnce = true;
    this.changed(true); // a full load is no burst: show it at once
    if (this.writer) {
      // The rows are out. These writes come before the watchers start (start() waits for them), so
      // they raise no change events of their own; catchUp() then reads what changed meanwhile.
      const mine = list.filter((t) => this.foldersContaining(t.cwd).length > 0);
      await forEachLimit(mine, 4, (t) => this.sync(t));
    }
  }

  /** This workspace's context files: its own groups' at once, its threads' files in other groups once `listing` is in. */
  private async loadContexts(listing: Promise<CodexThread[]>): Promise<void> {
    const store = this.o.store;
    const found = new Map<string, ContextFileEntry>();
    const others: string[] = [];
    this.groupCwds.clear();
    for (const ws of await store.listWorkspaces()) {
      this.groupCwds.set(ws.key, ws.cwd);
      if (ws.cwd && this.foldersContaining(ws.cwd).length > 0) {
        for (const e of await store.listThreads(ws.key)) {
          found.set(e.file, { file: e.file, context: e.context });
        }
      } else {
        others.push(ws.key);
      }
    }
    // Another group (a server with its own cwd filed the thread there): only this workspace's threads.
    const mine = new Set((await listing).filter((t) => this.foldersContaining(t.cwd).length > 0).map((t) => t.id));
    for (const key of others) {
      for (const e of await store.listThreads(key, (id) => mine.has(id)).catch(() => [])) {
        found.set(e.file, { file: e.file, context: e.context });
      }
    }
    this.contexts.clear();
    for (const [file, e] of found) {
      this.contexts.set(file, e);
      this.writer?.sawFile(e.context);
    }
  }

  private async onThread(t: CodexThread, type: string): Promise<void> {
    this.threads.set(t.id, t);
    this.o.logger.debug(`discovery: ${type} ${t.id}${t.live ? ' (live)' : ''}`);
    this.changed();
    if (this.writer && this.foldersContaining(t.cwd).length > 0) {
      await this.sync(t);
      if (type === 'started' || type === 'metadata') {
        // The shim may have filed it elsewhere before its cwd was known.
        await this.readThreadFileAnywhere(t.id);
      }
    }
  }

  private async sync(t: CodexThread): Promise<void> {
    try {
      await this.writer!.sync(t, this.foldersContaining(t.cwd));
    } catch (err) {
      this.o.logger.warn(`context: cannot write the context of thread ${t.id}: ${(err as Error).message}`);
    }
  }

  private async readThreadFileAnywhere(id: string): Promise<void> {
    const file = await this.o.store.findThreadFile(id).catch(() => undefined);
    if (file && !this.contexts.has(file)) {
      await this.onStoreChange({ key: path.basename(path.dirname(file)), threadId: id, file, kind: 'changed' });
    }
  }

  private async onStoreChange(c: StoreChange): Promise<void> {
    if (c.kind === 'removed') {
      this.writer?.forget(c.threadId);
      if (this.contexts.delete(c.file)) {
        this.changed();
      }
      return;
    }
    if (!this.groupCwds.has(c.key)) {
      for (const ws of await this.o.store.listWorkspaces()) {
        this.groupCwds.set(ws.key, ws.cwd);
      }
    }
    const groupCwd = this.groupCwds.get(c.key);
    const t = this.threads.get(c.threadId);
    const mine = (groupCwd && this.foldersContaining(groupCwd).length > 0) || (t !== undefined && this.foldersContaining(t.cwd).length > 0);
    if (!mine) {
      return;
    }
    const context = await this.o.store.readFile(c.file);
    if (context) {
      this.contexts.set(c.file, { file: c.file, context });
    } else {
      this.contexts.delete(c.file);
      this.writer?.forget(c.threadId);
    }
    this.changed();
  }

  /** Something changed: drop the cached model and tell the listeners (batched, unless `now`). */
  private changed(now = false): void {
    this.cached.clear();
    if (this.disposed) {
      this.updateLivenessTimer();
      return;
    }
    if (now) {
      clearTimeout(this.emitTimer);
      this.emitTimer = undefined;
      this.notify();
      this.updateLivenessTimer(); // after the listeners: the rows go out first
      return;
    }
    this.updateLivenessTimer();
    this.emitTimer ??= setTimeout(() => {
      this.emitTimer = undefined;
      this.notify();
    }, this.o.debounceMs ?? 40);
  }

  private notify(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (err) {
        this.o.logger.warn(`views: a change listener threw: ${(err as Error).message}`);
      }
    }
  }

  /**
   * A shim killed by SIGKILL writes nothing, so no file event says it is gone. While any binding
   * runs, its pid is checked now and then; with none running, nothing runs.
   */
  private updateLivenessTimer(): void {
    // By the records alone (no pid checks on every change): the timer's own check looks at pids.
    const running = [...this.contexts.values()].some((e) => e.context.bindings.some((b) => b.status === 'starting' || b.status === 'running'));
    if (running && !this.livenessTimer && !this.disposed) {
      this.lastLiveness = this.livenessSignature();
      this.livenessTimer = setInterval(() => {
        const sig = this.livenessSignature();
        if (sig !== this.lastLiveness) {
          this.lastLiveness = sig;
          this.changed();
        }
      }, this.o.livenessCheckMs ?? 5000);
      this.livenessTimer.unref();
    } else if (!running && this.livenessTimer) {
      clearInterval(this.livenessTimer);
      this.livenessTimer = undefined;
    }
  }

  private livenessSignature(): string {
    const isAlive = oncePerPid(this.o.isAlive ?? isProcessAlive);
    const pids: string[] = [];
    for (const e of this.contexts.values()) {
      for (const b of e.context.bindings) {
        if (b.status !== 'starting' && b.status !== 'running') {
          continue;
        }
        const s = bindingStatus(b, isAlive);
        pids.push(`${b.shimPid}:${s.shimAlive ? 1 : 0}${s.serverAlive ? 1 : 0}`);
      }
    }
    return pids.join(',');
  }
}
