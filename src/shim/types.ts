// The two seams between the shim's process side and the rest of the project:
//  - ThreadResolver: finds the thread a new server belongs to (env, /proc, lock files, ...).
//  - BindingSink: records what the shim did (the context store implements it).
// The shim treats both as untrusted: it wraps them so that a throw, a rejection or a hang can never
// stop the server from starting or touch the relayed stream ("fail open").

import type { Correction, Resolution } from '../core/store/threadContext';

/** What the resolver gets to work with. Everything is a plain value so it can run in tests. */
export interface ResolveContext {
  /** Server name (see cli.ts: --name, else the config.toml key, else the command's base name). */
  serverName: string;
  /** The real server's command and arguments, as given after `--`. */
  command: string;
  args: readonly string[];
  /** Codex home (`--codex-home`, else `CODEX_HOME`, else `~/.codex`). */
  codexHome: string;
  /** The shim's own environment (what Codex gave it). Do not mutate. */
  env: NodeJS.ProcessEnv;
  /** How long the resolver may take, in ms (`--wait`). The shim gives up a little after that. */
  waitMs: number;
  shimPid: number;
  /** Parent process id of the shim (normally the Codex process that spawned it). */
  parentPid: number;
  /** Wall-clock time the shim process started (Unix ms), to compare with UUIDv7 times. */
  startedAtMs: number;
  cwd: string;
}

export interface ResolveResult {
  /** A validated, lower-case thread id; absent when unresolved. Never a made-up value. */
  threadId?: string;
  resolvedBy: Resolution;
  /** Absolute path of the thread's context file, when the store knows it. */
  contextFile?: string;
  /** One line for stderr: why it is unresolved, or a warning worth logging. */
  message?: string;
  /**
   * This server is Codex's thread-less throw-away copy (mcpServerStatus/list, cwd = Codex home):
   * it starts without an id whatever --if-unresolved says, nothing is recorded, nothing is logged.
   */
  threadless?: boolean;
}

export type ThreadResolver = (ctx: ResolveContext) => Promise<ResolveResult>;

/** What the shim knows when it is about to start the first server. */
export interface BindingStart {
  server: string;
  shimPid: number;
  threadId?: string;
  resolvedBy: Resolution;
  contextFile?: string;
  /** Unix ms. */
  startedAtMs: number;
  codexHome: string;
  cwd: string;
}

/**
 * Receives the binding's life events. Every method is called on the relay's event loop, so each
 * must return at once and do its I/O later (batch, debounce, queue); `call` is on the hot path and
 * must be O(1). Only `flush` may take time: the shim awaits it (with a bound) before it exits.
 * A throwing method is reported once on stderr and otherwise ignored.
 */
export interface BindingSink {
  /**
   * Where the shim keeps the last 256 KB of the server's stderr (file mode 0600). Read once after
   * `starting` and again after each `restarted`; undefined: no file is kept.
   */
  readonly stderrLogPath?: string;
  starting(info: BindingStart): void;
  running(serverPid: number): void;
  /** One `tools/call` request passed to the server. */
  call(atMs: number): void;
  /** A `tools/call` carried a thread id other than the server's (see supervisor.ts). */
  correction(c: Correction): void;
  /** A replacement server runs for `threadId` (after a 'restart' correction). */
  restarted(serverPid: number, threadId: string, contextFile?: string): void;
  /**
   * The server the shim exits with has ended. `restartFailed`: it ended because no server could be
   * started for the thread a call named (the binding says `failed`, not `exited`).
   */
  exited(code: number | null, signal: string | null, restartFailed?: boolean): void;
  /**
   * The context file of another thread, for CODEX_THREAD_CONTEXT of a replacement server.
   * Optional; awaited with a bound of one second.
   */
  contextFileFor?(threadId: string): Promise<string | undefined> | string | undefined;
  flush(): Promise<void>;
}

/**
 * Where the shim's own one-line messages go (stderr in production). The line has no prefix and no
 * newline: the shim adds `codex-thread-shim: ` and '\n'.
 */
export type Report = (line: string) => void;
