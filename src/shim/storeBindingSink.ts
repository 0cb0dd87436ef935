// Records the shim's binding in the context store. Every event only changes fields in memory and
// schedules a write; writes are coalesced (at most one in flight, one more queued) so the relay is
// never slowed by the store's lock, fsync or rename. A call is a counter increment.
import type { ContextStore, ThreadRef } from '../core/store/contextStore';
import type { Correction, McpBinding, Resolution, ThreadContext } from '../core/store/threadContext';
import type { BindingSink, BindingStart, Report } from './types';

/** How long call counts may sit in memory before they are written. */
const CALL_FLUSH_MS = 1000;

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

  exited(code: number | null, signal: string | null): void {
    const b = this.current();
    if (b) {
      b.status = 'exited';
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
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing || this.bindings.some((b) => b.dirty)) {
      if (!this.writing) {
        this.startWrite();
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
      return this.store.stderrLogPath(threadId, safeServer, this.shimPid);
    } catch (err) {
      this.fail(err);
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
      .catch((err) => this.fail(err))
      .finally(() => {
        this.writing = undefined;
        const again = this.againDelayMs;
        this.againDelayMs = undefined;
        if (again !== undefined && !this.failed) {
          this.schedule(again);
        }
      });
  }

  private async writeDirty(): Promise<void> {
    for (const b of this.bindings.filter((x) => x.dirty)) {
      b.dirty = false;
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
      await this.store.update(b.ref, (cur) => mergeBinding(cur ?? this.store.newContext(b.ref!), snapshot));
    }
  }

  private async refFor(threadId: string): Promise<ThreadRef> {
    return (await this.store.locateThread(threadId, this.threadCwd ?? this.cwd)).ref;
  }

  private fail(err: unknown): void {
    if (!this.failed) {
      this.failed = true; // fail open: stop writing, keep relaying
      this.report(`not recording the binding any more: ${(err as Error)?.message ?? String(err)}`);
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
  if (ctx.thread.status === 'unknown' && b.status !== 'exited') {
    ctx.thread.status = 'live';
  }
  return ctx;
}
