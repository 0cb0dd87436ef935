// Runs the real, pinned Codex CLI (node_modules/@openai/codex) against a CodexTestHome:
//   - `codex exec --json` (one turn; JSONL events on stdout), in the foreground or background;
//   - `codex exec resume <id>`;
//   - `codex app-server`, with a small JSON-RPC client.
// Every process is started in its own process group and remembered, so a test can kill exactly
// what it started (`kill()`, `close()`, or `killAllCodexProcesses()` in an afterEach) including
// MCP servers, which Codex puts into groups of their own.

import { spawn, type ChildProcess } from 'node:child_process';
import type { CodexTestHome } from './codexTestHome';
import { killTree, isAlive, waitForChild } from './processTree';
import { tail, waitFor, withTimeout } from './wait';

/** The npm entry of the pinned Codex (what `node_modules/.bin/codex` runs). */
export function codexEntryScript(): string {
  return require.resolve('@openai/codex/bin/codex.js');
}

/** One JSONL event of `codex exec --json`. */
export interface CodexEvent {
  type: string;
  [key: string]: unknown;
}

export interface CodexRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  events: CodexEvent[];
  /** From the `thread.started` event. */
  threadId: string | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface CodexExecOptions {
  home: CodexTestHome;
  prompt: string;
  /** Resume this thread (`codex exec resume <id> <prompt>`) instead of starting a new one. */
  resumeThreadId?: string;
  /** The thread's cwd; default `home.workDir`. */
  cwd?: string;
  /** More `exec` options, placed before the prompt (e.g. `['--ephemeral']`, `['-c', 'k=v']`). */
  extraArgs?: string[];
  /** Added to (or, with undefined, removed from) `home.env()`. */
  env?: Record<string, string | undefined>;
  /** Another Codex CLI's npm entry script (e.g. codex0125EntryScript()); default the pinned 0.169. */
  codexScript?: string;
}

/** The npm entry of Codex 0.125.0 (dev dependency alias `codex-0125`): no lock files, older _meta. */
export function codex0125EntryScript(): string {
  return require.resolve('codex-0125/bin/codex.js');
}

// Everything started here and not yet reaped: killAllCodexProcesses() is the safety net.
const live = new Set<{ kill(): Promise<void> }>();

/** Kills every Codex process (and its MCP servers) started by this module that is still running. */
export async function killAllCodexProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill().catch(() => undefined)));
}

function spawnCodex(home: CodexTestHome, args: string[], cwd: string | undefined, env: Record<string, string | undefined> | undefined, stdin: 'ignore' | 'pipe', script = codexEntryScript()): ChildProcess {
  return spawn(process.execPath, [script, ...args], {
    cwd: cwd ?? home.workDir,
    env: home.env(env),
    // stdin 'ignore' is /dev/null: exec reads stdin when it is not a terminal, and must see EOF.
    stdio: [stdin, 'pipe', 'pipe'],
    // Own process group: one kill(-pgid) reaches the wrapper and the native codex.
    detached: true,
  });
}

/** A running `codex exec`. Create with `startCodexExec`. */
export class CodexExecProcess {
  readonly child: ChildProcess;
  /** Pid of the npm wrapper (node bin/codex.js); the native codex is its child, see `nativePid()`. */
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly args: string[];
  readonly events: CodexEvent[] = [];
  /** Non-JSON stdout lines (there should be none with --json). */
  readonly stdoutNoise: string[] = [];
  /** Settles when the wrapper has exited and its pipes are closed; never rejects. */
  readonly exited: Promise<CodexRunResult>;
  private stdoutText = '';
  private stderrText = '';
  private lineBuffer = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private extraPids: number[] = [];

  constructor(options: CodexExecOptions) {
    const common = ['--json', '--skip-git-repo-check', ...(options.extraArgs ?? [])];
    this.args = options.resumeThreadId
      ? ['exec', 'resume', ...common, options.resumeThreadId, options.prompt]
      : ['exec', ...common, options.prompt];
    this.child = spawnCodex(options.home, this.args, options.cwd, options.env, 'ignore', options.codexScript);
    if (this.child.pid === undefined) {
      throw new Error(`could not spawn codex (${process.execPath} ${codexEntryScript()})`);
    }
    this.pid = this.child.pid;
    this.child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.stderrText += `\n[spawn error] ${err.message}`;
      });
      this.child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        this.onStdout('\n');
        live.delete(this);
        resolve(this.result());
      });
    });
    live.add(this);
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Waits for an event of `type` (and matching `predicate`), seen already or still to come. */
  waitForEvent(type: string, predicate: (event: CodexEvent) => boolean = () => true, timeoutMs = 20_000): Promise<CodexEvent> {
    return waitFor(
      () => {
        const found = this.events.find((e) => e.type === type && predicate(e));
        if (!found && this.hasExited) {
          throw new Error(`codex exited (${this.exitText()}) without a "${type}" event`);
        }
        return found;
      },
      { timeoutMs, description: `codex exec event "${type}"`, diagnostics: () => this.diagnostics() },
    );
  }

  /** The thread id from the `thread.started` event. */
  async threadId(timeoutMs = 20_000): Promise<string> {
    const event = await this.waitForEvent('thread.started', () => true, timeoutMs);
    return String(event.thread_id);
  }

  /**
   * Pid of the native codex process. On Node 20 the npm wrapper stays alive as its parent (no
   * process.execve), so signals sent to `pid` do not reach Codex itself.
   */
  nativePid(timeoutMs = 10_000): Promise<number> {
    return waitForChild(this.pid, 'codex', timeoutMs);
  }

  /** Processes to kill along with this one even if re-parented (e.g. probe pids from records). */
  alsoKill(...pids: number[]): void {
    this.extraPids.push(...pids);
  }

  /**
   * Waits for exit. On timeout kills the whole tree and rejects with codex's stderr tail and the
   * events seen. With `expectSuccess` (the default) a non-zero exit rejects too.
   */
  async wait(timeoutMs = 45_000, expectSuccess = true): Promise<CodexRunResult> {
    let result: CodexRunResult;
    try {
      result = await withTimeout(this.exited, timeoutMs, `codex ${this.args.slice(0, 2).join(' ')} to exit`, () => this.diagnostics());
    } catch (err) {
      await this.kill();
      throw err;
    }
    if (expectSuccess && result.exitCode !== 0) {
      throw new Error(`codex exited with ${this.exitText()}\n${this.diagnostics()}`);
    }
    return result;
  }

  /** SIGKILLs the wrapper, the native codex and every MCP server it started; waits until gone. */
  async kill(): Promise<void> {
    if (!this.hasExited || this.extraPids.some(isAlive)) {
      await killTree(this.pid, this.extraPids);
    }
    await withTimeout(this.exited, 5000, 'codex pipes to close after SIGKILL');
  }

  /** Text for error messages: args, exit, events, stderr tail. */
  diagnostics(): string {
    return [
      `codex args: ${JSON.stringify(this.args)}`,
      `exit: ${this.exitText()}`,
      `events: ${this.events.map((e) => e.type).join(', ') || 'none'}`,
      `last events: ${tail(this.events.slice(-3).map((e) => JSON.stringify(e)).join('\n'), 1500)}`,
      `stderr tail:\n${tail(this.stderrText, 3000) || '(empty)'}`,
    ].join('\n');
  }

  private exitText(): string {
    return this.exitInfo ? `code ${this.exitInfo.code}, signal ${this.exitInfo.signal}` : 'still running';
  }

  private result(): CodexRunResult {
    const started = this.events.find((e) => e.type === 'thread.started');
    return {
      exitCode: this.exitInfo?.code ?? null,
      signal: this.exitInfo?.signal ?? null,
      events: [...this.events],
      threadId: started ? String(started.thread_id) : undefined,
      stdout: this.stdoutText,
      stderr: this.stderrText,
      durationMs: Date.now() - this.startedAt,
    };
  }

  private onStdout(text: string): void {
    this.stdoutText += text;
    this.lineBuffer += text;
    const lines = this.lineBuffer.split('\n');
    this.lineBuffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) {
        continue;
      }
      try {
        const parsed = JSON.parse(line) as CodexEvent;
        if (parsed && typeof parsed.type === 'string') {
          this.events.push(parsed);
          continue;
        }
      } catch {
        // fall through
      }
      this.stdoutNoise.push(line);
    }
  }
}

/** Starts `codex exec --json --skip-git-repo-check [resume <id>] <prompt>` in the background. */
export function startCodexExec(options: CodexExecOptions): CodexExecProcess {
  return new CodexExecProcess(options);
}

/** Runs `codex exec` to the end; rejects (after killing it) on timeout or a non-zero exit. */
export function runCodexExec(options: CodexExecOptions & { timeoutMs?: number; expectSuccess?: boolean }): Promise<CodexRunResult> {
  return startCodexExec(options).wait(options.timeoutMs ?? 45_000, options.expectSuccess ?? true);
}

// ---------------------------------------------------------------------------------------------
// app-server

export interface JsonRpcNotification {
  method: string;
  params?: unknown;
  /** Unix ms when it arrived. */
  receivedAt: number;
}

export interface JsonRpcServerRequest {
  id: string | number;
  method: string;
  params?: unknown;
}

export class JsonRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly data: unknown,
    message: string,
  ) {
    super(`${method} failed: ${message} (code ${code})`);
    this.name = 'JsonRpcError';
  }
}

export interface AppServerOptions {
  home: CodexTestHome;
  /** The app-server process's cwd (threads take `cwd` from thread/start); default `home.workDir`. */
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** More `app-server` options, e.g. `['-c', 'k=v']`. */
  extraArgs?: string[];
  /** `clientInfo.name`: it becomes the rollout's `originator`. */
  clientName?: string;
  /** Default timeout of a request. */
  requestTimeoutMs?: number;
  /**
   * Answers server → client requests (approvals, elicitation). Default: a JSON-RPC error, so an
   * unexpected approval fails the turn instead of hanging it.
   */
  onServerRequest?: (request: JsonRpcServerRequest) => unknown;
}

/** A `thread` object (only the fields tests commonly use are typed). */
export interface AppServerThread {
  id: string;
  sessionId?: string;
  path?: string | null;
  cwd?: string;
  [key: string]: unknown;
}

export interface AppServerTurn {
  id: string;
  status: 'completed' | 'interrupted' | 'failed' | 'inProgress';
  error?: unknown;
  [key: string]: unknown;
}

/**
 * `codex app-server` over stdio: newline-delimited JSON-RPC without the `jsonrpc` field (the
 * schema from `codex app-server generate-json-schema` has none). Create with `AppServerClient.start`.
 */
export class AppServerClient {
  readonly child: ChildProcess;
  /** Pid of the npm wrapper; see `nativePid()`. */
  readonly pid: number;
  readonly notifications: JsonRpcNotification[] = [];
  readonly serverRequests: JsonRpcServerRequest[] = [];
  /** Non-JSON stdout lines (there should be none). */
  readonly stdoutNoise: string[] = [];
  /** The `initialize` result (`codexHome`, `userAgent`, ...). */
  initializeResult: Record<string, unknown> | undefined;
  private readonly pending = new Map<number, { method: string; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly options: AppServerOptions;
  private nextId = 1;
  private stderrText = '';
  private lineBuffer = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private extraPids: number[] = [];

  private constructor(options: AppServerOptions) {
    this.options = options;
    this.child = spawnCodex(options.home, ['app-server', ...(options.extraArgs ?? [])], options.cwd, options.env, 'pipe');
    if (this.child.pid === undefined) {
      throw new Error('could not spawn codex app-server');
    }
    this.pid = this.child.pid;
    this.child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString('utf8')));
    this.child.stdin!.on('error', () => undefined); // EPIPE after the server died: reported via exit
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        for (const [, p] of this.pending) {
          p.reject(new Error(`codex app-server exited (code ${code}, signal ${signal}) before answering ${p.method}\n${this.diagnostics()}`));
        }
        this.pending.clear();
        resolve();
      });
    });
    live.add(this);
  }

  /** Spawns `codex app-server` and completes the handshake (`initialize`, then `initialized`). */
  static async start(options: AppServerOptions): Promise<AppServerClient> {
    const client = new AppServerClient(options);
    try {
      client.initializeResult = await client.request<Record<string, unknown>>('initialize', {
        clientInfo: { name: options.clientName ?? 'ctc_test', title: 'Codex Thread Context tests', version: '0.0.0' },
        capabilities: { experimentalApi: false },
      });
      client.notify('initialized');
    } catch (err) {
      await client.kill();
      throw err;
    }
    return client;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** Sends a request and waits for its result; a JSON-RPC error rejects with JsonRpcError. */
  request<T = unknown>(method: string, params?: unknown, timeoutMs = this.options.requestTimeoutMs ?? 20_000): Promise<T> {
    if (this.hasExited) {
      return Promise.reject(new Error(`codex app-server has exited; cannot send ${method}\n${this.diagnostics()}`));
    }
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
    });
    this.write(params === undefined ? { id, method } : { id, method, params });
    return withTimeout(answer, timeoutMs, `the answer to ${method}`, () => this.diagnostics()).finally(() => this.pending.delete(id));
  }

  notify(method: string, params?: unknown): void {
    this.write(params === undefined ? { method } : { method, params });
  }

  /**
   * Waits for a notification `method` whose params match `predicate`; already-received ones
   * count, so call this after the request that triggers it without a race.
   */
  async waitForNotification<P = Record<string, unknown>>(method: string, predicate: (params: P) => boolean = () => true, timeoutMs = 20_000): Promise<P> {
    const found = await waitFor(
      () => {
        const hit = this.notifications.find((n) => n.method === method && predicate(n.params as P));
        if (!hit && this.hasExited) {
          throw new Error(`codex app-server exited while waiting for ${method}`);
        }
        return hit;
      },
      { timeoutMs, description: `app-server notification ${method}`, diagnostics: () => this.diagnostics() },
    );
    return found.params as P;
  }

  /** `thread/start`; returns the thread. `cwd` defaults to `home.workDir`. */
  async threadStart(params: Record<string, unknown> = {}): Promise<AppServerThread> {
    const result = await this.request<{ thread: AppServerThread }>('thread/start', { cwd: this.options.home.workDir, ...params });
    return result.thread;
  }

  /** Waits until MCP server `name` of `threadId` reports `ready`; rejects early on `failed`. */
  async waitForMcpServerReady(threadId: string, name: string, timeoutMs = 20_000): Promise<void> {
    const status = await this.waitForNotification<{ threadId?: string | null; name: string; status: string; error?: string | null }>(
      'mcpServer/startupStatus/updated',
      (p) => p.threadId === threadId && p.name === name && (p.status === 'ready' || p.status === 'failed' || p.status === 'cancelled'),
      timeoutMs,
    );
    if (status.status !== 'ready') {
      throw new Error(`MCP server ${name} of thread ${threadId}: ${status.status}${status.error ? `: ${status.error}` : ''}\n${this.diagnostics()}`);
    }
  }

  /** `turn/start` with one text input; returns the turn (in progress). */
  async turnStart(threadId: string, text: string, params: Record<string, unknown> = {}): Promise<AppServerTurn> {
    const result = await this.request<{ turn: AppServerTurn }>('turn/start', { threadId, input: [{ type: 'text', text }], ...params });
    return result.turn;
  }

  /** Starts a turn and waits for its `turn/completed`; rejects unless it completed. */
  async runTurn(threadId: string, text: string, timeoutMs = 30_000): Promise<AppServerTurn> {
    const started = await this.turnStart(threadId, text);
    const done = await this.waitForNotification<{ threadId: string; turn: AppServerTurn }>(
      'turn/completed',
      (p) => p.threadId === threadId && p.turn.id === started.id,
      timeoutMs,
    );
    if (done.turn.status !== 'completed') {
      throw new Error(`turn ${started.id} of ${threadId} ended ${done.turn.status}: ${JSON.stringify(done.turn.error)}\n${this.diagnostics()}`);
    }
    return done.turn;
  }

  /** Pid of the native `codex app-server` (the npm wrapper's child on Node 20). */
  nativePid(timeoutMs = 10_000): Promise<number> {
    return waitForChild(this.pid, 'codex', timeoutMs);
  }

  /** Processes to kill along with this one even if re-parented (e.g. probe pids from records). */
  alsoKill(...pids: number[]): void {
    this.extraPids.push(...pids);
  }

  /**
   * Graceful stop: close stdin (app-server exits at EOF and stops its MCP servers), then kill
   * whatever is left after `graceMs`.
   */
  async close(graceMs = 5000): Promise<void> {
    if (!this.hasExited) {
      this.child.stdin!.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer); // a pending timer would keep mocha alive after the last test
    }
    await this.kill();
  }

  /** SIGKILLs the wrapper, the native codex and all MCP servers; waits until gone. */
  async kill(): Promise<void> {
    if (!this.hasExited || this.extraPids.some(isAlive)) {
      await killTree(this.pid, this.extraPids);
    }
    await withTimeout(this.exited, 5000, 'codex app-server pipes to close after SIGKILL');
  }

  diagnostics(): string {
    return [
      `app-server exit: ${this.exitInfo ? `code ${this.exitInfo.code}, signal ${this.exitInfo.signal}` : 'still running'}`,
      `notifications: ${tail(this.notifications.map((n) => n.method).join(', '), 1500) || 'none'}`,
      `stderr tail:\n${tail(this.stderrText, 3000) || '(empty)'}`,
    ].join('\n');
  }

  private write(message: Record<string, unknown>): void {
    this.child.stdin!.write(JSON.stringify(message) + '\n');
  }

  private onStdout(text: string): void {
    this.lineBuffer += text;
    const lines = this.lineBuffer.split('\n');
    this.lineBuffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim()) {
        this.onLine(line);
      }
    }
  }

  private onLine(line: string): void {
    let msg: { id?: string | number; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      msg = JSON.parse(line);
    } catch {
      this.stdoutNoise.push(line);
      return;
    }
    if (msg.method !== undefined && msg.id !== undefined) {
      this.answerServerRequest({ id: msg.id, method: msg.method, params: msg.params });
    } else if (msg.method !== undefined) {
      this.notifications.push({ method: msg.method, params: msg.params, receivedAt: Date.now() });
    } else if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id)!;
      this.pending.delete(msg.id);
      if (msg.error) {
        p.reject(new JsonRpcError(p.method, msg.error.code, msg.error.data, msg.error.message));
      } else {
        p.resolve(msg.result);
      }
    } else {
      this.stdoutNoise.push(line);
    }
  }

  private answerServerRequest(request: JsonRpcServerRequest): void {
    this.serverRequests.push(request);
    if (this.options.onServerRequest) {
      try {
        this.write({ id: request.id, result: this.options.onServerRequest(request) ?? {} });
      } catch (err) {
        this.write({ id: request.id, error: { code: -32000, message: err instanceof Error ? err.message : String(err) } });
      }
      return;
    }
    this.write({ id: request.id, error: { code: -32601, message: `test client does not handle ${request.method}` } });
  }
}

/** Starts an app-server client; shorthand for `AppServerClient.start`. */
export function startAppServer(options: AppServerOptions): Promise<AppServerClient> {
  return AppServerClient.start(options);
}
