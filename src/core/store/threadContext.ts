// The shape of one thread's context file. The JSON Schema in schema/thread-context.schema.json
// describes the same thing for MCP servers and other readers; validateThreadContext keeps the two
// honest (the unit tests check every file the store writes against the schema).

export const SCHEMA_VERSION = 1;

/** Who started a thread, as a kind the UI can show (from the rollout's `originator`). */
export type StartedBy = 'terminal' | 'exec' | 'ide' | 'other' | 'unknown';

export type ThreadStatus = 'live' | 'ended' | 'unknown';

/** How the shim found the thread it binds a server to. */
export type Resolution =
  | 'env' // CODEX_THREAD_ID was already in the environment
  | 'parent-open-files' // the launching Codex process's open lock/rollout files
  | 'live-locks' // live lock files in the Codex home (no open-file view)
  | 'extension' // what the VS Code extension recorded for this workspace
  | 'per-call' // corrected by a tools/call _meta.threadId
  | 'unresolved';

export type BindingStatus = 'starting' | 'running' | 'restarted' | 'exited';

export interface Correction {
  /** ISO time of the correction. */
  at: string;
  /** The id the server had (absent when it started without one). */
  from?: string;
  /** The id the call carried. */
  to: string;
  /** What the shim did: restarted the server with `to`, or only recorded it. */
  action: 'restart' | 'keep';
}

export interface McpBinding {
  /** Server name: `--name`, else the config.toml key, else the command's base name. */
  server: string;
  shimPid: number;
  serverPid?: number;
  resolvedBy: Resolution;
  status: BindingStatus;
  startedAt: string;
  endedAt?: string;
  exitCode?: number;
  exitSignal?: string;
  callCount: number;
  lastCallAt?: string;
  corrections: Correction[];
  /** Absolute path of the bounded stderr tail the shim keeps for this binding. */
  stderrLog?: string;
}

export interface TerminalInfo {
  name: string;
  /** Process id of the terminal's shell, when VS Code reports it. */
  processId?: number;
}

export interface ThreadInfo {
  id: string;
  cwd: string;
  /** ISO time the thread was created (from its UUIDv7). */
  startedAt?: string;
  startedBy: StartedBy;
  status: ThreadStatus;
  rolloutPath?: string;
  endedAt?: string;
  /** Codex's name for the thread or its first user message, shortened (written by the extension). */
  title?: string;
  /** Version of the Codex CLI that created the thread (written by the extension). */
  codexVersion?: string;
}

export interface WorkspaceInfo {
  /** The store's key of the group this file lives in (derived from the thread's cwd). */
  key: string;
  /** VS Code workspace folders that contain the thread's cwd, when the extension knows them. */
  folders: string[];
}

export interface ThreadContext {
  schemaVersion: typeof SCHEMA_VERSION;
  thread: ThreadInfo;
  workspace: WorkspaceInfo;
  terminal?: TerminalInfo;
  bindings: McpBinding[];
  /** ISO time of the last write. */
  updatedAt: string;
}
