// Records the shim's binding in the context store. Every event only changes fields in memory and
// schedules a write; writes are coalesced (at most one in flight, one more queued) so the relay is
// never slowed by the store's lock, fsync or rename. A call is a counter increment.
//
// A write that fails for a passing reason (a lock held too long, a full disk) is retried with
// back-off; since the state is kept in memory, the retry writes the latest state, not a backlog.
// Only a permanent failure (no permission, a read-only store) makes the sink go quiet. Either way
// one line on stderr, at most, for the shim's whole life.
//
// The final write (the server exited) also ends the thread when it is over: no other live
// binding, and Codex holds no lock file for it any more.
import { endThreadIfOver, type ContextStore, type ThreadRef } from '../core/store/contextStore';
import { isPermanentStoreError } from '../core/store/storeErrors';
import { threadLockFile } from '../core/discovery/liveLocks';
import type { Correction, McpBinding, Resolution, ThreadContext } from '../core/store/threadContext';
import type { BindingSink, BindingStart, Report } from './types';

/** How long call counts may sit in memory before they are written. */
const CALL_FLUSH_MS = 1000;
/** Back-off after a failed write: doubles from the first to the last. */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 5000;

interface BindingState {
  threadId: string;
  ref?: ThreadRef;
  resolvedBy: Resolution;
  startedAt: string;
  status: McpBinding['status'];
  serverPid?: number;
  endedAt?: string;
  exitCode?: number;
  exitSignal?: string;
  callCount: number;
  /** Epoch ms; turned into text only when written (this is set on every call). */
  lastCallAtMs?: number;
  corrections: Correction[];
  dirty: boolean;
}

export class StoreBindingSink implements BindingSink {
  stderrLogPath?: string;
  private server = '';
  private shimPid = process.pid;
  private cwd = process.cwd();
  private readonly bindings: BindingState[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  /** Set while a write is in flight: the soonest delay asked for since (calls ask for CALL_FLUSH_MS). */
  private againDelayMs: number | undefined;
  private failed = false;
  private reported = false;
  private retryMs = 0;
  private codexHome: string | undefined;
  /** The latest correction, carried into the binding of the server that replaces this one. */
  private lastCorrection: Correction | undefined;
  /** Where each thread's file is, once known: the server's CODEX_THREAD_CONTEXT and the records agree. */
  private readonly refs = new Map<string, ThreadRef>();

  /**
   * The store and the thread's cwd are known only once resolution ran (the store's location
   * depends on --codex-home), hence getters. No store: nothing is recorded.
   */
  constructor(
    private readonly getStore: () => ContextStore | undefined,
    private readonly report: Report,
    private readonly getThreadCwd: () => string | undefined = () => undefined,
  ) {}

  private get store(): ContextStore {
    const store = this.getStore();
    if (!store) {
      throw new Error('no context store');
    }
    return store;
  }

  private get threadCwd(): string | undefined {
    return this.getThreadCwd();
  }

  starting(info: BindingStart): void {
    if (!this.getStore()) {
      return;
    }
    this.server = info.server;
    this.shimPid = info.shimPid;
    this.cwd = info.cwd;
    this.codexHome = info.codexHome;
    if (info.threadId) {
      this.refs.set(info.threadId, { id: info.threadId, cwd: this.threadCwd ?? info.cwd });
      this.bindings.push(this.newState(info.threadId, info.resolvedBy, new Date(info.startedAtMs).toISOString()));
      this.stderrLogPath = this.logPathFor(info.threadId);
      this.schedule(0);
    }
  }

  running(serverPid: number): void {
    const b = this.current();
    if (b) {
      b.serverPid = serverPid;
      b.status = 'running';
      b.dirty = true;
      this.schedule(0);
    }
  }

  call(atMs: number): void {
    const b = this.current();
    if (b) {
      b.callCount++;
      b.lastCallAtMs = atMs;
      b.dirty = true;
      // The first call is written at once (Codex may SIGKILL the shim soon after a short turn);
      // later ones are batched.
      this.schedule(b.callCount === 1 ? 0 : CALL_FLUSH_MS);
    }
  }

  correction(c: Correction): void {
    this.lastCorrection = c;
    const b = this.current();
    if (b) {
      b.corrections.push(c);
      b.dirty = true;
    } else if (c.action === 'keep') {
      // Started without a thread and told to keep it that way: still record which thread it serves.
      const s = this.newState(c.to, 'per-call', c.at);
      s.status = 'running';
      s.corrections.push(c);
      this.bindings.push(s);
    }
    this.schedule(0);
  }

  restarted(serverPid: number, threadId: string): void {
    const now = new Date().toISOString();
    const old = this.current();
    if (old) {
      old.status = 'restarted';
      old.endedAt = now;
      old.dirty = true;
    }
    const next = this.newState(threadId, 'per-call', now);
    next.serverPid = serverPid;
    next.status = 'running';
    if (this.lastCorrection?.to === threadId) {
      next.corrections.push(this.lastCorrection);
    }
    this.bindings.push(next);
    this.stderrLogPath = this.logPathFor(threadId);
    this.schedule(0);
  }

  exited(code: number | null, signal: string | null, restartFailed = false): void {
    const b = this.current();
    if (b) {
      b.status = restartFailed ? 'failed' : 'exited';
      b.endedAt = new Date().toISOString();
      if (code !== null) {
        b.exitCode = code;
      }
      if (signal !== null) {
        b.exitSignal = signal;
      }
      b.dirty = true;
      this.schedule(0);
    }
  }

  async contextFileFor(threadId: string): Promise<string | undefined> {
    try {
      const ref = this.refs.get(threadId) ?? (await this.refFor(threadId));
      this.refs.set(threadId, ref);
      return this.store.fileFor(ref);
    } catch {
      return undefined;
    }
  }

  async flush(): Promise<void> {
    while (!this.failed && (this.writing || this.bindings.some((b) => b.dirty))) {
      if (!this.writing) {
        if (this.retryMs > 0) {
          await new Promise((r) => setTimeout(r, this.retryMs)); // back off before the retry
        }
        clearTimeout(this.timer);
        this.timer = undefined;
        if (!this.writing) {
          this.startWrite();
        }
      }
      await this.writing;
    }
  }

  private current(): BindingState | undefined {
    return this.bindings[this.bindings.length - 1];
  }

  private newState(threadId: string, resolvedBy: Resolution, startedAt: string): BindingState {
    return { threadId, resolvedBy, startedAt, status: 'starting', callCount: 0, corrections: [], dirty: true };
  }

  private logPathFor(threadId: string): string | undefined {
    try {
      const safeServer = this.server.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'server';
      return this.store.stderrLogPath(threadId, safeServer);
    } catch (err) {
      this.fail(err, true);
      return undefined;
    }
  }

  private schedule(delayMs: number): void {
    if (this.failed) {
      return;
    }
    if (this.writing) {
      this.againDelayMs = Math.min(this.againDelayMs ?? delayMs, delayMs);
      return;
    }
    if (this.timer && delayMs > 0) {
      return; // a write is already due no later than this one would be
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startWrite();
    }, delayMs);
    this.timer.unref();
  }

  private startWrite(): void {
    this.writing = this.writeDirty()
      .then(
        () => {
          this.retryMs = 0;
        },
        (err: unknown) => this.fail(err, isPermanentStoreError(err)),
      )
      .finally(() => {
        this.writing = undefined;
        const again = this.againDelayMs;
        this.againDelayMs = undefined;
        if (this.failed) {
          return;
        }
        if (this.retryMs > 0) {
          this.schedule(this.retryMs);
        } else if (again !== undefined) {
          this.schedule(again);
        }
      });
  }

  private async writeDirty(): Promise<void> {
    for (const b of this.bindings.filter((x) => x.dirty)) {
      const snapshot: McpBinding = {
        server: this.server,
        shimPid: this.shimPid,
        ...(b.serverPid !== undefined ? { serverPid: b.serverPid } : {}),
        resolvedBy: b.resolvedBy,
        status: b.status,
        startedAt: b.startedAt,
        ...(b.endedAt ? { endedAt: b.endedAt } : {}),
        ...(b.exitCode !== undefined ? { exitCode: b.exitCode } : {}),
        ...(b.exitSignal !== undefined ? { exitSignal: b.exitSignal } : {}),
        callCount: b.callCount,
        ...(b.lastCallAtMs !== undefined ? { lastCallAt: new Date(b.lastCallAtMs).toISOString() } : {}),
        corrections: [...b.corrections],
        ...(this.stderrLogPath && b === this.current() ? { stderrLog: this.stderrLogPath } : {}),
      };
      b.ref ??= this.refs.get(b.threadId) ?? (await this.refFor(b.threadId));
      this.refs.set(b.threadId, b.ref);
      // Cleared before the write: an event during it sets it again; a failed write sets it again.
      b.dirty = false;
      const final = snapshot.status !== 'starting' && snapshot.status !== 'running';
      try {
        await this.store.update(b.ref, (cur) => {
          const ctx = mergeBinding(cur ?? this.store.newContext(b.ref!), snapshot);
          if (final) {
            endThreadIfOver(ctx, this.threadLoaded(b.threadId));
          }
          return ctx;
        });
      } catch (err) {
        b.dirty = true;
        throw err;
      }
    }
  }

  /** Codex holds the thread loaded while its lock file exists (0.169+; older Codex has none). */
  private threadLoaded(threadId: string): boolean {
    return this.codexHome !== undefined && threadLockFile(this.codexHome, threadId) === 'held';
  }

  private async refFor(threadId: string): Promise<ThreadRef> {
    return (await this.store.locateThread(threadId, this.threadCwd ?? this.cwd)).ref;
  }

  /** Permanent: go quiet (fail open: keep relaying). Otherwise: retry later with back-off. */
  private fail(err: unknown, permanent: boolean): void {
    if (this.failed) {
      return;
    }
    const why = (err as Error)?.message ?? String(err);
    if (permanent) {
      this.failed = true;
      clearTimeout(this.timer);
      this.say(`not recording the binding any more: ${why}`);
    } else {
      this.retryMs = Math.min(this.retryMs === 0 ? RETRY_FIRST_MS : this.retryMs * 2, RETRY_MAX_MS);
      this.say(`recording the binding failed (${why}); retrying`);
    }
  }

  private say(line: string): void {
    if (!this.reported) {
      this.reported = true;
      this.report(line);
    }
  }
}

/** Replaces this shim's entry (same server, shim pid and start time) or appends it. */
function mergeBinding(ctx: ThreadContext, b: McpBinding): ThreadContext {
  const i = ctx.bindings.findIndex((x) => x.server === b.server && x.shimPid === b.shimPid && (x.startedAt === b.startedAt || x.status === 'starting'));
  if (i >= 0) {
    ctx.bindings[i] = b;
  } else {
    ctx.bindings.push(b);
  }
  if (ctx.thread.status !== 'live' && (b.status === 'starting' || b.status === 'running')) {
    ctx.thread.status = 'live'; // loaded again (resume) after it ended
    delete ctx.thread.endedAt;
  }
  return ctx;
}
