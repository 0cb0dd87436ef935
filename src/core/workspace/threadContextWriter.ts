// Keeps the context file of every thread of the workspace current with what discovery knows,
// so any tool can read a thread's file by id, with or without MCP servers. Writes only when a
// field it owns changed; the store's lock and applyThreadFacts' field-by-field merge keep the
// shim's concurrent binding writes (and other windows' writes) intact.
import type { CodexThread } from '../discovery/types';
import type { ContextStore, StoreLogger, ThreadRef } from '../store/contextStore';
import type { ThreadContext } from '../store/threadContext';
import { applyThreadFacts, factsOf } from './threadFacts';

export type SyncResult = 'written' | 'unchanged' | 'skipped';

export class ThreadContextWriter {
  /** Facts last known to be in each thread's file (a JSON fingerprint), to skip I/O when nothing changed. */
  private readonly inFile = new Map<string, string>();
  private readonly refs = new Map<string, ThreadRef>();
  /** Files the caller has just read: the next sync of that thread starts from them instead of reading again. */
  private readonly seen = new Map<string, ThreadContext>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private writes = 0;

  constructor(
    private readonly store: ContextStore,
    private readonly logger: StoreLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** How many files this writer has written (for tests and the log). */
  get writeCount(): number {
    return this.writes;
  }

  /**
   * Brings one thread's file up to date. `folders` are the workspace folders that contain the
   * thread's cwd. Calls for the same thread run one after another.
   */
  sync(thread: CodexThread, folders: readonly string[]): Promise<SyncResult> {
    const prev = this.queues.get(thread.id) ?? Promise.resolve();
    const next = prev.then(() => this.syncNow(thread, folders));
    const settled = next.catch(() => undefined);
    this.queues.set(thread.id, settled);
    void settled.then(() => {
      if (this.queues.get(thread.id) === settled) {
        this.queues.delete(thread.id);
      }
    });
    return next;
  }

  /**
   * What a thread's file holds, as the caller just read it (the views load every file of the
   * workspace anyway): a file that already says everything costs no lookup, read or lock.
   */
  sawFile(context: ThreadContext): void {
    this.seen.set(context.thread.id, context);
  }

  /** The file was removed or rewritten by someone else: check it again next time. */
  forget(threadId: string): void {
    this.inFile.delete(threadId);
    this.refs.delete(threadId);
    this.seen.delete(threadId);
  }

  private async syncNow(thread: CodexThread, folders: readonly string[]): Promise<SyncResult> {
    if (!thread.cwd || folders.length === 0) {
      return 'skipped'; // no metadata yet, or not this workspace's thread
    }
    const facts = factsOf(thread, folders, this.now());
    const fingerprint = JSON.stringify({ ...facts, endedAt: undefined });
    if (this.inFile.get(thread.id) === fingerprint) {
      return 'unchanged';
    }
    const seen = this.seen.get(thread.id);
    this.seen.delete(thread.id);
    let ref = this.refs.get(thread.id);
    if (!ref) {
      // The shim may have filed the thread under a server's configured cwd: write where it is.
      ref = seen ? { id: seen.thread.id, cwd: seen.thread.cwd } : (await this.store.locateThread(thread.id, thread.cwd)).ref;
      this.refs.set(thread.id, ref);
    }
    // A read without the lock first: when the file already says all this (another window wrote
    // it), there is nothing to lock or write.
    const current = seen ?? (await this.store.read(ref));
    if (current && !applyThreadFacts(structuredClone(current), facts)) {
      this.inFile.set(thread.id, fingerprint);
      return 'unchanged';
    }
    let wrote = false;
    await this.store.update(ref, (cur) => {
      const ctx = cur ?? this.store.newContext(ref);
      const changed = applyThreadFacts(ctx, facts);
      wrote = changed || cur === undefined;
      return wrote ? ctx : undefined;
    });
    this.inFile.set(thread.id, fingerprint);
    if (wrote) {
      this.writes++;
      this.logger.debug?.(`context: wrote thread ${thread.id} (${facts.status})`);
    }
    return wrote ? 'written' : 'unchanged';
  }
}
