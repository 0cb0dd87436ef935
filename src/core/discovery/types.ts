/** Who started a thread, as the UI shows it (from the rollout's `originator`, see originator.ts). */
export type ThreadKind = 'terminal' | 'exec' | 'ide' | 'other' | 'unknown';

/** What is known about one Codex thread. Optional fields are absent until a source supplies them. */
export interface CodexThread {
  readonly id: string;
  /** Creation time in Unix ms, from the UUIDv7 (undefined for ids that are not v7). */
  readonly startedAt: number | undefined;
  /** True while Codex has the thread loaded: its lock file exists (0.169+), or, for Codex versions
   *  without lock files, its rollout changed within the active window. */
  readonly live: boolean;
  readonly kind: ThreadKind;
  /** Raw `originator` (e.g. `codex_exec`, `codex-tui`, an IDE client's name). */
  readonly originator?: string;
  readonly cwd?: string;
  readonly cliVersion?: string;
  /** Absolute path of the rollout file, once it exists. */
  readonly rolloutPath?: string;
  /** First user message (or the thread's name from the state database), on one line, shortened. */
  readonly title?: string;
  /** Unix ms of the last write seen: rollout mtime, lock creation, or the state database's updated_at. */
  readonly lastActivityAt: number | undefined;
  /** The thread that spawned this sub-agent thread, when a source says so. */
  readonly parentThreadId?: string;
  /** The root thread of a sub-agent tree (`session_id` when it differs from the id). */
  readonly rootThreadId?: string;
  /** The thread this one was forked from (`forked_from_id`). */
  readonly forkedFromId?: string;
  /** The rollout's `source` when it is a plain string (`exec`, `cli`, `vscode`, ...). */
  readonly source?: string;
  /** True once the rollout's first line (session_meta) or a state database row was read. */
  readonly hasMetadata: boolean;
}

export type ThreadChangeType = 'started' | 'metadata' | 'activity' | 'ended';

export interface ThreadChangeEvent {
  readonly type: ThreadChangeType;
  readonly thread: CodexThread;
}

export interface DiscoveryLogger {
  debug(message: string): void;
  warn(message: string): void;
}

export const silentLogger: DiscoveryLogger = {
  debug: () => undefined,
  warn: () => undefined,
};

export interface Disposable {
  dispose(): void;
}
