// The context store: one JSON file per Codex thread, grouped by the thread's cwd, shared by the
// shim (writes bindings) and the extension (reads them, adds terminal and workspace facts).
//
// Layout under the root (see README "Context store"):
//   <root>/workspaces/<key>/workspace.json      {schemaVersion, key, cwd}
//   <root>/workspaces/<key>/<thread id>.json    the thread's context (schema/thread-context.schema.json)
//   <root>/logs/<id>.<server>.stderr.log          bounded stderr tail of a thread's server (all its shims)
//   <root>/locks/<name>                          named store-wide locks (e.g. the shim's claims)
//   <root>/gc.json                               when gcIfDue last ran
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parseThreadId, uuidV7Time } from '../threadId';
import { LockLostError, withFileLock, type HeldLock } from './fileLock';
import { ensurePrivateDir, fsError, readFileBounded, readFileBoundedOrUndefined, writeFileAtomic } from './secureFs';
import { StoreWatcher } from './storeWatcher';
import { SCHEMA_VERSION, type McpBinding, type ThreadContext } from './threadContext';
import { Pacer } from '../pacer';
import { isProcessAlive } from '../processAlive';
import { validateThreadContext } from './validateThreadContext';
import { isSameOrInside, isWorkspaceKey, normalizeCwd, workspaceKeyFor } from './workspaceKey';
import { compareCodeUnits } from '../compareCodeUnits';
import { threadLockFile } from '../discovery/liveLocks';

export interface StoreLogger {
  warn(message: string): void;
  debug?(message: string): void;
}

export interface ContextStoreOptions {
  root: string;
  /** A lock not refreshed for this long is taken over (min 2000). Default 5000 ms. */
  staleMs?: number;
  /** How long an update waits for the lock before failing with a clear error. Default 30 s. */
  lockWaitMs?: number;
  logger?: StoreLogger;
  /** Called with how long each lock took to get (for the benchmark and diagnostics). */
  onLockAcquired?: (waitedMs: number) => void;
  /**
   * The Codex home whose default store this is (`<codex home>/thread-context`). gc then also
   * removes a thread whose file still says live after Codex deleted its lock file: Codex deletes
   * the lock and stops the servers in no fixed order, so a shim's last write can come before it,
   * or be cut off by Codex's SIGKILL. Ignored for any other root: a store shared by several
   * homes holds threads whose locks are elsewhere.
   */
  codexHome?: string;
}

/** Identifies a thread's file: its id and the cwd Codex runs it in. */
export interface ThreadRef {
  id: string;
  cwd: string;
}

export interface WorkspaceEntry {
  key: string;
  cwd: string;
  dir: string;
}

export interface ThreadEntry {
  key: string;
  file: string;
  context: ThreadContext;
}

/** Per-call options: `signal` is the caller's deadline; an aborted update writes nothing. */
export interface UpdateOptions {
  signal?: AbortSignal;
}

/** Given the current contents (undefined: no file yet), returns the new contents, or undefined to write nothing. */
export type Updater = (current: ThreadContext | undefined) => ThreadContext | undefined | Promise<ThreadContext | undefined>;

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const THREAD_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;
const LOCK_NAME = /^[a-z0-9][a-z0-9._-]{0,80}$/;
const MAX_LOST_LOCK_RETRIES = 3;

export class ContextStore {
  readonly root: string;
  private readonly staleMs: number;
  private readonly lockWaitMs: number;
  private readonly logger: StoreLogger;
  private readonly reported = new Set<string>();
  private readonly ensuredDirs = new Set<string>();
  private readonly onLockAcquired?: (waitedMs: number) => void;
  /** Set only when this is the home's default store (see ContextStoreOptions.codexHome). */
  private readonly codexHome: string | undefined;
  private readonly pacer = new Pacer();

  constructor(options: ContextStoreOptions) {
    this.root = path.resolve(options.root);
    this.staleMs = Math.max(options.staleMs ?? 5000, 2000);
    this.lockWaitMs = options.lockWaitMs ?? 30_000;
    this.logger = options.logger ?? { warn: () => undefined };
    this.onLockAcquired = options.onLockAcquired;
    const home = options.codexHome && path.resolve(options.codexHome);
    this.codexHome = home && path.join(home, 'thread-context') === this.root ? home : undefined;
  }

  /** True when the store's folder exists (nothing is created to find out). */
  async exists(): Promise<boolean> {
    return (await fsp.lstat(this.root).catch(() => undefined))?.isDirectory() ?? false;
  }

  get workspacesDir(): string {
    return path.join(this.root, 'workspaces');
  }

  /** The group key for a cwd (deterministic: the same for the shim and the extension). */
  keyFor(cwd: string): string {
    return workspaceKeyFor(normalizeCwd(cwd));
  }

  /** Absolute path of a thread's context file. Validates the id before it becomes part of a path. */
  fileFor(ref: ThreadRef): string {
    const id = parseThreadId(ref.id);
    return path.join(this.workspacesDir, this.keyFor(ref.cwd), `${id}.json`);
  }

  /**
   * Where the shim keeps a server's stderr tail (the folder is created, 0700). Kept apart from the
   * groups so that a log never creates a group before its thread's file exists.
   */
  stderrLogPath(threadId: string, server: string): string {
    const id = parseThreadId(threadId);
    if (!/^[A-Za-z0-9._-]{1,60}$/.test(server) || server.startsWith('.')) {
      throw new Error(`context store: invalid server name for a log file: ${JSON.stringify(server)}`);
    }
    const dir = path.join(this.root, 'logs');
    this.ensureDir(this.root);
    this.ensureDir(dir);
    return path.join(dir, `${id}.${server}.stderr.log`);
  }

  /** A fresh, valid context for a thread that has no file yet. */
  newContext(ref: ThreadRef): ThreadContext {
    const id = parseThreadId(ref.id);
    const created = uuidV7Time(id);
    return {
      schemaVersion: SCHEMA_VERSION,
      thread: {
        id,
        cwd: normalizeCwd(ref.cwd),
        ...(created !== undefined ? { startedAt: new Date(created).toISOString() } : {}),
        startedBy: 'unknown',
        status: 'unknown',
      },
      workspace: { key: this.keyFor(ref.cwd), folders: [] },
      bindings: [],
      updatedAt: new Date().toISOString(),
    };
  }

  /** Reads a thread's context; undefined when there is none (or it was corrupt and moved aside). */
  async read(ref: ThreadRef): Promise<ThreadContext | undefined> {
    return this.readFile(this.fileFor(ref));
  }

  /** Reads a context file by path (as found by listThreads or findThreadFile). */
  async readFile(file: string): Promise<ThreadContext | undefined> {
    const result = readFileBounded(file, MAX_FILE_BYTES);
    if (result.kind === 'missing') {
      return undefined;
    }
    const parsed = result.kind === 'ok' ? parseContext(result.text) : { problem: result.reason };
    if ('context' in parsed) {
      return parsed.context;
    }
    // Re-check under the lock before moving anything: the file may have been fixed meanwhile.
    await this.withLockedFile(file, undefined, async () => {
      const again = readFileBounded(file, MAX_FILE_BYTES);
      if (again.kind === 'missing') {
        return;
      }
      const reparsed = again.kind === 'ok' ? parseContext(again.text) : { problem: again.reason };
      if ('problem' in reparsed) {
        await this.quarantine(file, reparsed.problem);
      }
    }).catch((err: Error) => this.reportOnce(`read:${file}`, err.message));
    return undefined;
  }

  /**
   * Read-modify-write of one thread's file under its cross-process lock. `fn` gets a private copy
   * of the current contents; whatever it returns is validated and written atomically.
   */
  async update(ref: ThreadRef, fn: Updater, options: UpdateOptions = {}): Promise<ThreadContext | undefined> {
    const file = this.fileFor(ref);
    await this.ensureGroup(ref.cwd);
    return this.updateFile(file, fn, options);
  }

  /** Like update, for a file found by path (findThreadFile, listThreads). */
  async updateFile(file: string, fn: Updater, options: UpdateOptions = {}): Promise<ThreadContext | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.withLockedFile(file, options.signal, async (lock) => {
          const current = await this.readForUpdate(file);
          const next = await fn(current === undefined ? undefined : structuredClone(current));
          if (next === undefined) {
            return current;
          }
          next.updatedAt = new Date().toISOString();
          const problems = validateThreadContext(next);
          if (problems.length > 0) {
            throw new Error(`context store: refusing to write an invalid context to ${file}: ${problems.join('; ')}`);
          }
          lock.assertHeld(); // the deadline may have passed while fn ran
          await writeFileAtomic(file, JSON.stringify(next, null, 2) + '\n', () => lock.assertHeld());
          return next;
        });
      } catch (err) {
        if (err instanceof LockLostError && attempt < MAX_LOST_LOCK_RETRIES) {
          continue;
        }
        throw err;
      }
    }
  }

  /** Removes a thread's file under its lock. */
  async remove(file: string): Promise<void> {
    await this.withLockedFile(file, undefined, async () => {
      await fsp.unlink(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') {
          throw fsError('remove', file, err);
        }
      });
    });
  }

  /**
   * A store-wide named lock, for decisions that span several files (the shim claims a thread for a
   * server under one, so servers started at the same moment get different threads).
   */
  async withLock<T>(name: string, fn: () => Promise<T>, options: UpdateOptions = {}): Promise<T> {
    if (!LOCK_NAME.test(name)) {
      throw new Error(`context store: invalid lock name ${JSON.stringify(name)}`);
    }
    const dir = path.join(this.root, 'locks');
    this.ensureDir(this.root);
    this.ensureDir(dir);
    return this.withLockedFile(path.join(dir, name), options.signal, () => fn());
  }

  /** Finds a thread's file in any group (for a reader that knows only the id). */
  async findThreadFile(id: string): Promise<string | undefined> {
    const tid = parseThreadId(id);
    for (const ws of await this.listWorkspaces()) {
      const file = path.join(ws.dir, `${tid}.json`);
      try {
        const st = await fsp.lstat(file);
        if (st.isFile()) {
          return file;
        }
      } catch {
        // not in this group
      }
    }
    return undefined;
  }

  /**
   * Where a thread's file is: wherever it already exists (another writer may have known the
   * thread's real cwd, e.g. when a server runs in a configured cwd), else under `cwd`.
   */
  async locateThread(id: string, cwd: string): Promise<{ ref: ThreadRef; file: string }> {
    const existing = await this.findThreadFile(id).catch(() => undefined);
    if (existing) {
      const ctx = await this.readFile(existing).catch(() => undefined);
      if (ctx) {
        return { ref: { id: ctx.thread.id, cwd: ctx.thread.cwd }, file: existing };
      }
    }
    return { ref: { id, cwd }, file: this.fileFor({ id, cwd }) };
  }

  /** Every group in the store, with the cwd it stands for. */
  async listWorkspaces(): Promise<WorkspaceEntry[]> {
    // Synchronous listing, stats and reads (see pacer.ts): a store has a group per cwd Codex ran in.
    let names: string[];
    try {
      names = fs.readdirSync(this.workspacesDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return [];
      }
      throw fsError('list', this.workspacesDir, err);
    }
    const out: WorkspaceEntry[] = [];
    for (const key of names.filter(isWorkspaceKey).sort()) {
      const dir = path.join(this.workspacesDir, key);
      if (!isRealDir(dir)) {
        continue; // a symlink or a stray file: not ours
      }
      const meta = readFileBoundedOrUndefined(path.join(dir, 'workspace.json'), 64 * 1024);
      let cwd: string | undefined;
      if (meta?.kind === 'ok') {
        try {
          const parsed = JSON.parse(meta.text) as { cwd?: unknown; key?: unknown };
          if (typeof parsed.cwd === 'string' && parsed.key === key) {
            cwd = parsed.cwd;
          }
        } catch {
          // fall through: reported below
        }
      }
      if (cwd === undefined && meta?.kind !== 'missing') {
        // Missing is normal for a moment (another process just created the group); unreadable is not.
        this.reportOnce(`ws:${key}`, `context store: ${dir}/workspace.json is unreadable; the group is still listed`);
      }
      out.push({ key, cwd: cwd ?? '', dir });
    }
    return out;
  }

  /**
   * The threads of one group, newest first by update time. Corrupt files are moved aside. With
   * `wanted`, only the files of the thread ids it accepts are read.
   */
  async listThreads(key: string, wanted?: (threadId: string) => boolean): Promise<ThreadEntry[]> {
    if (!isWorkspaceKey(key)) {
      throw new Error(`context store: invalid workspace key ${JSON.stringify(key)}`);
    }
    const dir = path.join(this.workspacesDir, key);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return [];
      }
      throw fsError('list', dir, err);
    }
    const out: ThreadEntry[] = [];
    // The listing and reads are synchronous (see pacer.ts); the pacer keeps a large group from
    // holding the event loop for long.
    const files = names.filter((name) => THREAD_FILE.test(name) && (!wanted || wanted(name.slice(0, -'.json'.length))));
    for (const name of files) {
      await this.pacer.turn();
      const file = path.join(dir, name);
      const context = await this.readFile(file);
      if (context) {
        out.push({ key, file, context });
      }
    }
    return out.sort((a, b) => compareCodeUnits(b.context.updatedAt, a.context.updatedAt) || compareCodeUnits(a.file, b.file));
  }

  /** Threads whose cwd is one of `folders` or lies inside one: what a VS Code window shows. */
  async listThreadsInFolders(folders: string[]): Promise<ThreadEntry[]> {
    const roots = folders.map(normalizeCwd);
    const out: ThreadEntry[] = [];
    for (const ws of await this.listWorkspaces()) {
      if (ws.cwd && roots.some((r) => isSameOrInside(ws.cwd, r))) {
        out.push(...(await this.listThreads(ws.key)));
      }
    }
    return out;
  }

  /**
   * Deletes the files of threads that are over (see isOver) and have not changed for
   * `olderThanDays`. Also removes temp files left by writers that were killed. Returns what was
   * removed.
   */
  async gc(olderThanDays: number, now = Date.now()): Promise<string[]> {
    const cutoff = now - olderThanDays * 86_400_000;
    const removed: string[] = [];
    const logs = path.join(this.root, 'logs');
    for (const name of await fsp.readdir(logs).catch(() => [] as string[])) {
      const file = path.join(logs, name);
      const st = await fsp.lstat(file).catch(() => undefined);
      if (name.endsWith('.stderr.log') && st?.isFile() && st.mtimeMs <= cutoff) {
        await fsp.unlink(file).catch(() => undefined);
        removed.push(file);
      }
    }
    for (const ws of await this.listWorkspaces()) {
      for (const name of await fsp.readdir(ws.dir).catch(() => [] as string[])) {
        const file = path.join(ws.dir, name);
        if (name.endsWith('.tmp') || name.endsWith('.json.owner')) {
          // Temp files of killed writers; lock fences of earlier versions (beside the file).
          const st = await fsp.lstat(file).catch(() => undefined);
          if (st?.isFile() && st.mtimeMs < now - 3_600_000) {
            await fsp.unlink(file).catch(() => undefined);
            removed.push(file);
          }
          continue;
        }
        if (/\.lock\.dead-[0-9]+-[0-9a-f]+$/.test(name)) {
          // A dead holder's lock moved aside by a breaker that was killed before removing it.
          const st = await fsp.lstat(file).catch(() => undefined);
          if (st?.isDirectory() && st.mtimeMs < now - 3_600_000) {
            await fsp.rm(file, { recursive: true, force: true }).catch(() => undefined);
            removed.push(file);
          }
          continue;
        }
        if (!THREAD_FILE.test(name)) {
          continue;
        }
        const ctx = await this.readFile(file);
        if (!ctx || !this.isOver(ctx) || Date.parse(ctx.updatedAt) > cutoff) {
          continue;
        }
        await this.withLockedFile(file, undefined, async () => {
          // Re-check under the lock: a shim may have just bound a server to it.
          const again = await this.readForUpdate(file);
          if (again && this.isOver(again) && Date.parse(again.updatedAt) <= cutoff) {
            await fsp.unlink(file);
            removed.push(file);
          }
        });
      }
    }
    return removed;
  }

  /**
   * Over: ended, or no binding serves it and it is not live (no status known), or it still says
   * live but Codex has unloaded it (its lock file is gone from this store's Codex home).
   */
  private isOver(ctx: ThreadContext): boolean {
    if (ctx.thread.status === 'ended') {
      return true;
    }
    if (ctx.bindings.some(isBindingLive)) {
      return false;
    }
    return ctx.thread.status !== 'live' || (this.codexHome !== undefined && threadLockFile(this.codexHome, ctx.thread.id) === 'gone');
  }

  /** A watcher that reports changes to any context file, whoever writes them. Call start(), then dispose(). */
  watch(options?: { pollMs?: number; debounceMs?: number }): StoreWatcher {
    return new StoreWatcher(this.workspacesDir, options);
  }

  /** Creates the group directory and its workspace.json for a cwd; returns the directory. */
  async ensureGroup(cwd: string): Promise<string> {
    const normalized = normalizeCwd(cwd);
    const key = workspaceKeyFor(normalized);
    const dir = path.join(this.workspacesDir, key);
    if (this.ensuredDirs.has(dir)) {
      return dir;
    }
    this.ensureDir(this.root);
    this.ensureDir(this.workspacesDir);
    this.ensureDir(dir);
    const meta = path.join(dir, 'workspace.json');
    const existing = readFileBounded(meta, 64 * 1024);
    if (existing.kind !== 'ok') {
      await writeFileAtomic(meta, JSON.stringify({ schemaVersion: SCHEMA_VERSION, key, cwd: normalized }, null, 2) + '\n');
    }
    this.ensuredDirs.add(dir);
    return dir;
  }

  private ensureDir(dir: string): void {
    if (!this.ensuredDirs.has(dir)) {
      ensurePrivateDir(dir);
      this.ensuredDirs.add(dir);
    }
  }

  private withLockedFile<T>(file: string, signal: AbortSignal | undefined, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
    return withFileLock(file, { staleMs: this.staleMs, waitMs: this.lockWaitMs, signal, onProblem: (m) => this.reportOnce(m, m) }, (lock) => {
      this.onLockAcquired?.(lock.waitedMs);
      return fn(lock);
    });
  }

  /** Current contents for an update; a corrupt file is moved aside and the update starts afresh. */
  private async readForUpdate(file: string): Promise<ThreadContext | undefined> {
    const result = readFileBounded(file, MAX_FILE_BYTES);
    if (result.kind === 'missing') {
      return undefined;
    }
    const parsed = result.kind === 'ok' ? parseContext(result.text) : { problem: result.reason };
    if ('context' in parsed) {
      return parsed.context;
    }
    await this.quarantine(file, parsed.problem);
    return undefined;
  }

  /** Moves a bad file aside (never deletes it) and reports it once. */
  private async quarantine(file: string, problem: string): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const aside = `${file}.corrupt-${stamp}-${process.pid}`;
    try {
      await fsp.rename(file, aside);
      this.reportOnce(`bad:${file}`, `context store: ${file} ${problem}; moved it aside to ${path.basename(aside)} and started a fresh one`);
    } catch (err) {
      this.reportOnce(`bad:${file}`, `context store: ${file} ${problem}, and moving it aside failed: ${(err as Error).message}`);
    }
  }

  private reportOnce(key: string, message: string): void {
    if (!this.reported.has(key)) {
      this.reported.add(key);
      try {
        this.logger.warn(message);
      } catch {
        // a logger must never break the store
      }
    }
  }
}

/** A directory, not a symlink to one. */
function isRealDir(dir: string): boolean {
  try {
    return fs.lstatSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function parseContext(text: string): { context: ThreadContext } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problem: `is not valid JSON (${(err as Error).message})` };
  }
  const problems = validateThreadContext(value);
  if (problems.length > 0) {
    return { problem: `does not match the context schema (${problems.slice(0, 3).join('; ')})` };
  }
  return { context: value as ThreadContext };
}


/**
 * A binding still serves while it is not marked exited and its shim process exists. Codex may
 * SIGKILL a shim before it records its exit, so the pid is the final word.
 */
export function isBindingLive(b: McpBinding): boolean {
  return (b.status === 'starting' || b.status === 'running') && isProcessAlive(b.shimPid);
}

/**
 * Marks the thread ended when it is over: no binding serves it any more (a binding's shim process
 * is the final word) and Codex no longer has it loaded (`loaded`: its lock file exists). A thread
 * that is loaded again later is set live again by whoever binds to it. Returns true when it changed.
 */
export function endThreadIfOver(ctx: ThreadContext, loaded: boolean, now = new Date().toISOString()): boolean {
  settleDeadBindings(ctx, now);
  if (loaded || ctx.thread.status === 'ended' || ctx.bindings.some(isBindingLive)) {
    return false;
  }
  ctx.thread.status = 'ended';
  ctx.thread.endedAt = now;
  return true;
}

/** Marks bindings whose shim died without saying so as exited (returns true when any changed). */
export function settleDeadBindings(ctx: ThreadContext, now = new Date().toISOString()): boolean {
  let changed = false;
  for (const b of ctx.bindings) {
    if ((b.status === 'starting' || b.status === 'running') && !isProcessAlive(b.shimPid)) {
      b.status = 'exited';
      b.endedAt ??= now;
      changed = true;
    }
  }
  return changed;
}

