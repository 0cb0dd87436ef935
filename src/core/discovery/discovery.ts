import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveCodexHome } from '../codexHome';
import { uuidV7Time } from '../threadId';
import { DirWatchSet } from './dirWatcher';
import { LOCKS_DIR, LiveLocks, readLiveLocks } from './liveLocks';
import { threadKindFromOriginator } from './originator';
import { HeadCache } from './headCache';
import { readRolloutHead } from './rolloutHead';
import { SESSIONS_DIR, dayDirChain, dayDirsBetween, isInside, parseRolloutFileName, rolloutDayDirs } from './rolloutPath';
import { SessionMeta, compact, threadIdOf } from './sessionMeta';
import { CodexStateDb, StateDbThread } from './stateDb';
import { shortenTitle } from './title';
import { CodexThread, DiscoveryLogger, Disposable, ThreadChangeEvent, ThreadChangeType, silentLogger } from './types';
import { Pacer } from '../pacer';

export interface CodexThreadDiscoveryOptions {
  /** Codex home folder. Default: `resolveCodexHome()` (CODEX_HOME, else ~/.codex). */
  readonly codexHome?: string;
  readonly logger?: DiscoveryLogger;
  /** Codex without lock files: a rollout written this recently counts as live. Default 5 minutes. */
  readonly activeWindowMs?: number;
  /** Safety rescan of the watched folders (fs.watch can drop events). Default 3 s. */
  readonly rescanIntervalMs?: number;
  /** Delay from the first file-system event to the rescan it triggers, to batch bursts. Default 40 ms. */
  readonly debounceMs?: number;
  /** On Linux, a lock file that no process holds (Codex was killed) does not make a thread live. Default true. */
  readonly detectStaleLocks?: boolean;
  /** Read Codex's state database when present. Default true. */
  readonly useStateDb?: boolean;
  /** Bytes of a rollout's first line that are parsed (see rolloutHead.ts). Default 64 KiB. */
  readonly maxMetaBytes?: number;
  /** Bytes of a rollout read while looking for the first user message. Default 512 KiB. */
  readonly maxScanBytes?: number;
  /**
   * Keep the rollout heads read (metadata, first message) in this file between sessions, so a new
   * instance only stats the rollouts it has seen (see headCache.ts). Default: memory only.
   */
  readonly headCacheFile?: string;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export interface ListOptions {
  /** Threads started or active within this many days, besides the live ones. Default 7. */
  readonly sinceDays?: number;
}

const DAY_MS = 86_400_000;
/** First Codex version measured to write thread-writer-locks (0.125.0 writes none). */
const LOCK_FILES_SINCE: readonly number[] = [0, 169, 0];
const MAX_DB_RECENT = 5000;
const HEAD_CACHE_LIMIT = 20_000;

/** Mutable per-thread state behind the CodexThread snapshots. */
interface Entry {
  readonly id: string;
  readonly startedAt: number | undefined;
  lock: boolean;
  /** A lock file was seen for it: its end is the lock's removal, whatever the rollout's mtime. */
  lockSeen: boolean;
  rolloutPath?: string;
  stat?: { readonly size: number; readonly mtimeMs: number; readonly ino: number };
  meta?: SessionMeta;
  firstUserMessage?: string;
  db?: StateDbThread;
  live: boolean;
}

/** Per-scan memo of folder listings (a burst of lock files shares one listing per day folder). */
class ScanContext {
  readonly listings = new Map<string, Map<string, string>>();
  /** Null: not resolved yet in this scan. */
  realHome: string | undefined | null = null;
}

/**
 * Knows the live and recent Codex threads of one Codex home and reports changes. Pure Node: the
 * extension's views and the shim's fallback both use it.
 *
 * Sources: `thread-writer-locks/` (live threads, Codex 0.169+), the rollout files under
 * `sessions/YYYY/MM/DD` (metadata from the first line, the title from the first user message;
 * found from the UUIDv7 date, never by walking history), and the state database when present.
 * `watch()` adds change events from fs.watch on a handful of folders, with a periodic rescan of
 * the same folders as a safety net. File access is synchronous, paced by a Pacer (see pacer.ts).
 */
export class CodexThreadDiscovery {
  readonly codexHome: string;
  private readonly logger: DiscoveryLogger;
  private readonly activeWindowMs: number;
  private readonly rescanIntervalMs: number;
  private readonly debounceMs: number;
  private readonly maxMetaBytes: number;
  private readonly maxScanBytes: number;
  private readonly now: () => number;
  private readonly detectStaleLocks: boolean;
  private readonly db: CodexStateDb | undefined;
  private readonly headCache: HeadCache;
  private readonly pacer = new Pacer();
  private readonly listeners: ((e: ThreadChangeEvent) => void)[] = [];
  private readonly warnedOutside = new Set<string>();

  // Watch state.
  private readonly entries = new Map<string, Entry>();
  private watchSet: DirWatchSet | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private fullPass = true;
  private readonly dirtyFiles = new Set<string>();
  private disposed = false;

  constructor(options: CodexThreadDiscoveryOptions = {}) {
    this.codexHome = path.resolve(options.codexHome ?? resolveCodexHome());
    this.logger = options.logger ?? silentLogger;
    this.activeWindowMs = options.activeWindowMs ?? 5 * 60_000;
    this.rescanIntervalMs = options.rescanIntervalMs ?? 3000;
    this.debounceMs = options.debounceMs ?? 40;
    this.maxMetaBytes = options.maxMetaBytes ?? 64 * 1024;
    this.maxScanBytes = options.maxScanBytes ?? 512 * 1024;
    this.now = options.now ?? Date.now;
    this.detectStaleLocks = options.detectStaleLocks ?? true;
    this.db = options.useStateDb === false ? undefined : new CodexStateDb(this.codexHome, this.logger);
    this.headCache = new HeadCache({ codexHome: this.codexHome, logger: this.logger, file: options.headCacheFile, limit: HEAD_CACHE_LIMIT });
  }

  /** Live threads plus those started or active within `sinceDays`: live first, then newest activity first. */
  async list(options: ListOptions = {}): Promise<CodexThread[]> {
    const now = this.now();
    const since = now - (options.sinceDays ?? 7) * DAY_MS;
    const ctx = new ScanContext();
    const locks = this.readLocks(now);
    const listings = dayDirsBetween(this.codexHome, since, now).map((dir) => this.listDayDir(dir, ctx));
    const found = new Map<string, string | undefined>();
    for (const listing of listings) {
      for (const [id, file] of listing) {
        if (!found.has(id)) {
          found.set(id, file);
        }
      }
    }
    for (const id of locks.ids) {
      if (!found.has(id)) {
        found.set(id, undefined);
      }
    }
    const dbRows = new Map<string, StateDbThread>();
    this.db?.read((q) => {
      for (const t of q.updatedSince(since, MAX_DB_RECENT)) {
        dbRows.set(t.id, t);
      }
      for (const id of found.keys()) {
        if (!dbRows.has(id)) {
          const t = q.thread(id);
          if (t) {
            dbRows.set(id, t);
          }
        }
      }
    });
    for (const id of dbRows.keys()) {
      if (!found.has(id)) {
        found.set(id, undefined);
      }
    }
    const entries = [...found].map(([id, file]) => {
      const e = newEntry(id);
      e.lock = locks.ids.has(id);
      e.rolloutPath = file;
      e.db = dbRows.get(id);
      return e;
    });
    for (const e of entries) {
      e.rolloutPath ??= this.locateRollout(e.id, ctx, e.db);
      await this.updateRollout(e);
    }
    const out: CodexThread[] = [];
    for (const e of entries) {
      e.live = this.isLive(e, locks.dirExists, now);
      const t = this.snapshot(e);
      if (t.live || (t.startedAt ?? 0) >= since || (t.lastActivityAt ?? 0) >= since) {
        out.push(t);
      }
    }
    return out.sort(byLiveThenActivity);
  }

  /** One thread by id (any age), or undefined when nothing on disk knows it. */
  async get(threadId: string): Promise<CodexThread | undefined> {
    const id = threadIdOf(threadId);
    if (!id) {
      return undefined;
    }
    const locks = this.readLocks(this.now());
    const e = newEntry(id);
    e.lock = locks.ids.has(id);
    e.db = this.db?.read((q) => q.thread(id));
    e.rolloutPath = this.locateRollout(id, new ScanContext(), e.db);
    if (!e.lock && !e.rolloutPath && !e.db) {
      return undefined;
    }
    await this.updateRollout(e);
    e.live = this.isLive(e, locks.dirExists, this.now());
    return this.snapshot(e);
  }

  /**
   * Starts watching. Resolves once the current state is known; changes after that are reported
   * to `onDidChange` listeners, each within about `debounceMs` plus a scan of a few folders.
   */
  async watch(): Promise<void> {
    if (this.watchSet || this.disposed) {
      return;
    }
    this.watchSet = new DirWatchSet((dir, name) => this.onFsEvent(dir, name), this.logger);
    await this.runRefresh(false);
    if (!this.disposed) {
      this.timer = setInterval(() => {
        this.fullPass = true;
        this.schedule();
      }, this.rescanIntervalMs);
      this.timer.unref();
    }
  }

  /** Threads known to the watcher now (live ones and those seen in the watched day folders). */
  current(): CodexThread[] {
    return [...this.entries.values()].map((e) => this.snapshot(e)).sort(byLiveThenActivity);
  }

  onDidChange(listener: (e: ThreadChangeEvent) => void): Disposable {
    this.listeners.push(listener);
    return {
      dispose: () => {
        const i = this.listeners.indexOf(listener);
        if (i >= 0) {
          this.listeners.splice(i, 1);
        }
      },
    };
  }

  /** Stops watching; resolves once the head cache has saved what it read (nothing to wait for without a file). */
  dispose(): Promise<void> {
    this.disposed = true;
    clearInterval(this.timer);
    clearTimeout(this.debounceTimer);
    this.watchSet?.close();
    this.listeners.length = 0;
    return this.headCache.dispose();
  }

  private onFsEvent(dir: string, name: string | null): void {
    if (name) {
      this.dirtyFiles.add(path.join(dir, name));
    } else {
      this.fullPass = true;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.disposed || !this.watchSet) {
      return;
    }
    if (this.refreshing) {
      this.again = true;
      return;
    }
    if (!this.debounceTimer) {
      this.debounceTimer = setTimeout(() => {
        this.debounceTimer = undefined;
        void this.runRefresh(true);
      }, this.debounceMs);
    }
  }

  private async runRefresh(emit: boolean): Promise<void> {
    const run = this.refresh(emit).catch((err: unknown) => {
      this.logger.warn(`discovery: rescan failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    });
    this.refreshing = run;
    await run;
    this.refreshing = undefined;
    if (this.again) {
      this.again = false;
      this.schedule();
    }
  }

  /** One pass over the watched folders: updates entries and (when `emit`) reports the differences. */
  private async refresh(emit: boolean): Promise<void> {
    if (this.disposed || !this.watchSet) {
      return;
    }
    const now = this.now();
    const fullPass = this.fullPass || !emit;
    this.fullPass = false;
    const dirty = new Set(this.dirtyFiles);
    this.dirtyFiles.clear();

    const dayDirs = dayDirsBetween(this.codexHome, now - DAY_MS, now);
    const liveDirs = this.liveRolloutDirs();
    const scanDirs = [...new Set([...dayDirs, ...liveDirs])];
    // A folder that appeared (or was re-created) is listed below: that catches what was written
    // in it before its watcher existed.
    this.watchSet.reconcile(this.watchTargets(dayDirs, liveDirs));

    const ctx = new ScanContext();
    const locks = this.readLocks(now);
    const listings = scanDirs.map((d) => this.listDayDir(d, ctx));
    const touched = new Map<string, Entry>();
    const isNew = new Set<string>();
    const take = (id: string): Entry => {
      let e = this.entries.get(id);
      if (!e) {
        e = newEntry(id);
        this.entries.set(id, e);
        isNew.add(id);
      }
      touched.set(id, e);
      return e;
    };
    for (const id of locks.ids) {
      take(id);
    }
    for (const listing of listings) {
      for (const [id, file] of listing) {
        const known = this.entries.get(id);
        if (!known || known.live || fullPass || dirty.has(file) || known.rolloutPath !== file || locks.ids.has(id)) {
          const e = take(id);
          if (!e.rolloutPath) {
            e.rolloutPath = file;
          }
        }
      }
    }
    for (const e of this.entries.values()) {
      if (e.live || (e.rolloutPath && dirty.has(e.rolloutPath))) {
        touched.set(e.id, e);
      }
    }

    const before = new Map<string, { live: boolean; stat: Entry['stat']; fingerprint: string }>();
    for (const e of touched.values()) {
      before.set(e.id, { live: e.live, stat: e.stat, fingerprint: fingerprint(e) });
      e.lock = locks.ids.has(e.id);
      if (e.lock) {
        e.lockSeen = true;
      }
    }
    for (const e of touched.values()) {
      if (!e.rolloutPath && (e.lock || isNew.has(e.id))) {
        e.rolloutPath = this.locateRollout(e.id, ctx, undefined);
      }
      await this.updateRollout(e);
    }

    // The state database only for threads whose metadata just appeared and still lack a title
    // or parent: titles usually come from the rollout already.
    const needDb = [...touched.values()].filter(
      (e) => (isNew.has(e.id) || fingerprint(e) !== before.get(e.id)?.fingerprint) && (!e.firstUserMessage || !e.meta),
    );
    if (this.db && needDb.length > 0) {
      this.db.read((q) => {
        for (const e of needDb) {
          e.db = q.thread(e.id) ?? e.db;
        }
      });
      for (const e of needDb) {
        if (!e.rolloutPath && e.db?.rolloutPath) {
          e.rolloutPath = this.validRolloutPath(e.id, e.db.rolloutPath, ctx);
          await this.updateRollout(e);
        }
      }
    }

    const events: ThreadChangeEvent[] = [];
    for (const e of touched.values()) {
      const was = before.get(e.id);
      e.live = this.isLive(e, locks.dirExists, now);
      if (!emit || !was) {
        continue;
      }
      const push = (type: ThreadChangeType): void => {
        events.push({ type, thread: this.snapshot(e) });
      };
      const metaChanged = fingerprint(e) !== was.fingerprint;
      const activity = was.stat !== undefined && e.stat !== undefined && (e.stat.size !== was.stat.size || e.stat.mtimeMs !== was.stat.mtimeMs);
      if (isNew.has(e.id)) {
        push(e.live ? 'started' : 'metadata');
        continue;
      }
      if (e.live && !was.live) {
        push('started');
      } else if (metaChanged) {
        push('metadata');
      }
      if (activity && !(e.live && !was.live)) {
        push('activity');
      }
      if (was.live && !e.live) {
        push('ended');
      }
    }
    this.prune(now, touched);
    // Threads that became live may write to rollouts in other (older) day folders: watch them now.
    const nowLiveDirs = this.liveRolloutDirs();
    if ([...nowLiveDirs].some((d) => !liveDirs.has(d))) {
      this.watchSet.reconcile(this.watchTargets(dayDirs, nowLiveDirs));
    }
    for (const ev of events) {
      this.emit(ev);
    }
  }

  private readLocks(now: number): LiveLocks {
    return readLiveLocks(this.codexHome, this.logger, { detectStale: this.detectStaleLocks, now });
  }

  private liveRolloutDirs(): Set<string> {
    const dirs = new Set<string>();
    for (const e of this.entries.values()) {
      if (e.live && e.rolloutPath) {
        dirs.add(path.dirname(e.rolloutPath));
      }
    }
    return dirs;
  }

  /** The home (or its nearest existing ancestor), the lock folder, sessions/ down to the recent day folders, and live rollouts' folders. */
  private watchTargets(dayDirs: readonly string[], liveDirs: ReadonlySet<string>): string[] {
    return [
      ...missingAncestorWatch(this.codexHome),
      this.codexHome,
      path.join(this.codexHome, LOCKS_DIR),
      path.join(this.codexHome, SESSIONS_DIR),
      ...dayDirs.flatMap((d) => dayDirChain(this.codexHome, d)),
      ...liveDirs,
    ];
  }

  private emit(ev: ThreadChangeEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(ev);
      } catch (err) {
        this.logger.warn(`discovery: a change listener threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** Forgets ended threads that are out of the watched window, so a long-lived watcher stays small. */
  private prune(now: number, touched: Map<string, Entry>): void {
    for (const [id, e] of this.entries) {
      if (!e.live && !touched.has(id) && (e.stat?.mtimeMs ?? e.startedAt ?? 0) < now - 3 * DAY_MS) {
        this.entries.delete(id);
      }
    }
  }

  private isLive(e: Entry, locksDirExists: boolean, now: number): boolean {
    if (e.lock) {
      return true;
    }
    if (e.lockSeen || !e.stat) {
      return false;
    }
    // No lock: live only if a Codex that writes no lock files wrote this rollout recently.
    const lockless = !locksDirExists || versionBefore(e.meta?.cliVersion ?? e.db?.cliVersion, LOCK_FILES_SINCE);
    return lockless && now - e.stat.mtimeMs <= this.activeWindowMs;
  }

  /** Stats the rollout and reads its head when it is new or changed (from the cache otherwise). */
  private async updateRollout(e: Entry): Promise<void> {
    const file = e.rolloutPath;
    if (!file) {
      return;
    }
    let st: fs.Stats;
    try {
      // Synchronous, as every file access of discovery (see pacer.ts): one stat takes microseconds.
      st = fs.lstatSync(file);
    } catch (err) {
      this.logger.debug(`discovery: rollout ${file} is gone: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      e.rolloutPath = undefined;
      e.stat = undefined;
      return;
    }
    if (!st.isFile()) {
      this.logger.debug(`discovery: ignoring ${file}: not a regular file`);
      e.rolloutPath = undefined;
      e.stat = undefined;
      return;
    }
    if (e.stat && e.stat.ino === st.ino && e.stat.size === st.size && e.stat.mtimeMs === st.mtimeMs && e.meta && e.firstUserMessage !== undefined) {
      return;
    }
    let info = this.headCache.get(file);
    const fresh = info && info.ino === st.ino && info.size === st.size && info.mtimeMs === st.mtimeMs;
    const needMeta = !info?.meta || info.ino !== st.ino;
    const needTitle = info?.firstUserMessage === undefined && (!info || info.ino !== st.ino || Math.min(st.size, this.maxScanBytes) > Math.min(info.size, this.maxScanBytes));
    if (!fresh && (needMeta || needTitle)) {
      await this.pacer.turn(); // the read is synchronous (see rolloutHead.ts)
      const head = readRolloutHead(file, this.logger, { maxMetaBytes: this.maxMetaBytes, maxScanBytes: this.maxScanBytes, wantTitle: needTitle });
      if (head) {
        const keep = info && info.ino === head.ino ? info : undefined;
        info = compact({
          ino: head.ino,
          size: head.size,
          mtimeMs: head.mtimeMs,
          meta: keep?.meta ?? (head.meta?.id === e.id ? head.meta : undefined),
          firstUserMessage: keep?.firstUserMessage ?? head.firstUserMessage,
        });
        if (head.meta && head.meta.id !== e.id) {
          this.logger.debug(`discovery: ${file}: session_meta id ${head.meta.id} does not match the file name`);
        }
        this.headCache.set(file, info);
      }
    } else if (info && !fresh) {
      info = { ...info, size: st.size, mtimeMs: st.mtimeMs };
      this.headCache.set(file, info);
    }
    e.stat = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    if (info?.meta && info.meta.id === e.id) {
      e.meta = info.meta;
    }
    if (info?.firstUserMessage !== undefined) {
      e.firstUserMessage = info.firstUserMessage;
    }
  }

  /** The rollout of a thread: from its UUIDv7 date folders, else a validated path from the state database. */
  private locateRollout(id: string, ctx: ScanContext, db: StateDbThread | undefined): string | undefined {
    for (const dir of rolloutDayDirs(this.codexHome, id)) {
      const file = this.listDayDir(dir, ctx).get(id);
      if (file) {
        return file;
      }
    }
    return db?.rolloutPath ? this.validRolloutPath(id, db.rolloutPath, ctx) : undefined;
  }

  /** A rollout path from the state database, only if it is this thread's rollout inside the Codex home. */
  private validRolloutPath(id: string, file: string, ctx: ScanContext): string | undefined {
    if (!path.isAbsolute(file) || parseRolloutFileName(path.basename(file))?.threadId !== id) {
      return undefined;
    }
    const home = this.realHome(ctx);
    try {
      const real = fs.realpathSync.native(path.dirname(file));
      const st = fs.lstatSync(file);
      if (home && isInside(home, real) && st.isFile()) {
        return file;
      }
    } catch {
      // missing: the thread has no rollout any more
    }
    return undefined;
  }

  /** Rollouts of one day folder (id → path). Missing folders, symlinks and other names are skipped. */
  private listDayDir(dir: string, ctx: ScanContext): Map<string, string> {
    let listing = ctx.listings.get(dir);
    if (!listing) {
      listing = this.readDayDir(dir, ctx);
      ctx.listings.set(dir, listing);
    }
    return listing;
  }

  private readDayDir(dir: string, ctx: ScanContext): Map<string, string> {
    const out = new Map<string, string>();
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        this.logger.debug(`discovery: cannot list ${dir}: ${code ?? String(err)}`);
      }
      return out;
    }
    const home = this.realHome(ctx);
    let real: string | undefined;
    try {
      real = fs.realpathSync.native(dir);
    } catch {
      return out;
    }
    if (!home || !isInside(home, real)) {
      if (!this.warnedOutside.has(dir)) {
        this.warnedOutside.add(dir);
        this.logger.warn(`discovery: not reading ${dir}: it resolves to ${real}, outside the Codex home`);
      }
      return out;
    }
    for (const d of entries) {
      const name = parseRolloutFileName(d.name);
      if (!name) {
        this.logger.debug(`discovery: ignoring ${path.join(dir, d.name)}: not a rollout file name`);
        continue;
      }
      if (!d.isFile()) {
        this.logger.debug(`discovery: ignoring ${path.join(dir, d.name)}: ${d.isSymbolicLink() ? 'a symlink' : 'not a regular file'}`);
        continue;
      }
      out.set(name.threadId, path.join(dir, d.name));
    }
    return out;
  }

  private realHome(ctx: ScanContext): string | undefined {
    if (ctx.realHome === null) {
      try {
        ctx.realHome = fs.realpathSync.native(this.codexHome);
      } catch {
        ctx.realHome = undefined;
      }
    }
    return ctx.realHome;
  }

  private snapshot(e: Entry): CodexThread {
    const meta = e.meta;
    const db = e.db;
    const originator = meta?.originator ?? db?.originator;
    const rawTitle = db?.name ?? db?.title ?? e.firstUserMessage ?? db?.firstUserMessage;
    const times = [e.stat?.mtimeMs, db?.updatedAtMs].filter((t): t is number => t !== undefined);
    const lastActivityAt = times.length > 0 ? Math.max(...times) : e.live ? e.startedAt : undefined;
    return compact({
      id: e.id,
      startedAt: e.startedAt,
      live: e.live,
      kind: threadKindFromOriginator(originator),
      originator,
      cwd: meta?.cwd ?? db?.cwd,
      cliVersion: meta?.cliVersion ?? db?.cliVersion,
      rolloutPath: e.rolloutPath,
      title: rawTitle !== undefined ? shortenTitle(rawTitle) : undefined,
      lastActivityAt: lastActivityAt !== undefined ? Math.round(lastActivityAt) : undefined,
      parentThreadId: meta?.parentThreadId ?? db?.parentThreadId,
      rootThreadId: meta?.sessionId && meta.sessionId !== e.id ? meta.sessionId : undefined,
      forkedFromId: meta?.forkedFromId,
      source: meta?.source ?? db?.source,
      hasMetadata: meta !== undefined || db !== undefined,
    });
  }
}

function newEntry(id: string): Entry {
  return { id, startedAt: uuidV7Time(id), lock: false, lockSeen: false, live: false };
}

/** What a 'metadata' event is about: changes here are reported, size/mtime changes are 'activity'. */
function fingerprint(e: Entry): string {
  return JSON.stringify([e.rolloutPath, e.meta, e.firstUserMessage, e.db?.title, e.db?.name, e.db?.parentThreadId, e.db?.cwd, e.db?.originator]);
}

function byLiveThenActivity(a: CodexThread, b: CodexThread): number {
  if (a.live !== b.live) {
    return a.live ? -1 : 1;
  }
  return (b.lastActivityAt ?? b.startedAt ?? 0) - (a.lastActivityAt ?? a.startedAt ?? 0);
}

function versionBefore(version: string | undefined, min: readonly number[]): boolean {
  const m = version ? /^(\d+)\.(\d+)\.(\d+)/.exec(version) : null;
  if (!m) {
    return false;
  }
  for (let i = 0; i < 3; i++) {
    const v = Number(m[i + 1]);
    if (v !== min[i]) {
      return v < min[i];
    }
  }
  return false;
}

/** When the Codex home does not exist: the nearest existing ancestor, so its creation is seen. */
function missingAncestorWatch(home: string): string[] {
  let dir = home;
  for (let i = 0; i < 32; i++) {
    if (fs.existsSync(dir)) {
      return dir === home ? [] : [dir];
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return [];
    }
    dir = parent;
  }
  return [];
}
