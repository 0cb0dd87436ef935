// Shared by the shim tests: runs the built dist/shim.js as a child process (as Codex would, in a
// process group of its own), talks newline-delimited JSON to it, and cleans up after itself.
// Every wait is for an event or a condition, with a timeout; nothing sleeps and hopes.

import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../../..');
export const SHIM_JS = path.join(REPO, 'dist', 'shim.js');
export const FIXTURES = path.join(REPO, 'test', 'unit', 'shim', 'fixtures');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export const THREAD_A = '01a20dd3-146f-7680-86a1-782e736bec86';
export const THREAD_B = '01a20dd4-0000-7000-8000-000000000002';
export const THREAD_C = '01a20dd5-0000-7000-8000-000000000003';

/** Temp dirs made by a test, removed by cleanupAll() in afterEach. */
const tempDirs: string[] = [];
const runs: ShimRun[] = [];
const strayPids: number[] = [];

/** A process a test expects to be gone; killed in cleanup if it is not (so a failure leaks nothing). */
export function trackPid(pid: number): void {
  strayPids.push(pid);
}

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-test-'));
  tempDirs.push(dir);
  return dir;
}

/**
 * An environment built from scratch: a private HOME and CODEX_HOME, so nothing reads or writes the
 * real ones, and no CODEX_THREAD_ID leaks in from a Codex session running these tests.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = tempDir();
  fs.mkdirSync(path.join(home, '.codex'));
  return {
    PATH: process.env.PATH,
    HOME: home,
    CODEX_HOME: path.join(home, '.codex'),
    CODEX_THREAD_SHIM_GRACE_MS: '300',
    ...extra,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ShimRun {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  private readonly out: Buffer[] = [];
  private outLength = 0;
  private partial: Buffer[] = [];
  readonly messages: Record<string, unknown>[] = [];
  stderr = '';
  private readonly listeners = new Set<() => void>();
  exit: Exit | undefined;

  constructor(args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string; collect?: boolean; node?: string }) {
    this.child = spawn(options.node ?? process.execPath, [SHIM_JS, ...args], {
      env: options.env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group, like Codex gives its MCP servers
    });
    runs.push(this);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        this.notify();
      });
    });
    this.child.stdin!.on('error', () => undefined);
    if (options.collect !== false) {
      this.child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
    }
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (s: string) => {
      this.stderr += s;
      this.notify();
    });
  }

  static start(args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string): ShimRun {
    return new ShimRun(args, { env, cwd });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private onStdout(chunk: Buffer): void {
    this.out.push(chunk);
    this.outLength += chunk.length;
    let pos = 0;
    let nl = chunk.indexOf(0x0a);
    while (nl >= 0) {
      const piece = chunk.subarray(pos, nl);
      const line = this.partial.length > 0 ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      try {
        this.messages.push(JSON.parse(line.toString('utf8')) as Record<string, unknown>);
      } catch {
        // not JSON: only the raw byte view sees it
      }
      pos = nl + 1;
      nl = chunk.indexOf(0x0a, pos);
    }
    if (pos < chunk.length) {
      this.partial.push(chunk.subarray(pos));
    }
    this.notify();
  }

  stdoutBytes(): Buffer {
    return Buffer.concat(this.out, this.outLength);
  }

  get stdoutLength(): number {
    return this.outLength;
  }

  send(message: unknown): void {
    this.child.stdin!.write(JSON.stringify(message) + '\n');
  }

  sendRaw(data: Buffer | string): void {
    this.child.stdin!.write(data);
  }

  endInput(): void {
    this.child.stdin!.end();
  }

  private notify(): void {
    for (const fn of [...this.listeners]) {
      fn();
    }
  }

  /** Resolves with the first value `probe` returns that is not undefined, checked on every output. */
  until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        let v: T | undefined;
        try {
          v = probe();
        } catch (e) {
          done();
          reject(e as Error);
          return;
        }
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (this.exit !== undefined && this.child.stdout!.readableEnded) {
          done();
          reject(new Error(`shim exited (${JSON.stringify(this.exit)}) while waiting for ${what}; stderr: ${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** The first message (from the start) matching `pred`. */
  message(pred: (m: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.until(() => this.messages.find(pred), what, timeoutMs);
  }

  response(id: unknown, timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.message((m) => m.id === id && m.method === undefined, `the response to ${JSON.stringify(id)}`, timeoutMs);
  }

  stderrMatching(re: RegExp, timeoutMs?: number): Promise<string> {
    return this.until(() => (re.test(this.stderr) ? this.stderr : undefined), `stderr matching ${re}`, timeoutMs);
  }

  /** Kills the shim's whole process group (it and the servers it started), if still there. */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Text content of a tools/call response from jsonrpc-server.mjs, parsed. */
export function callResult(response: Record<string, unknown>): Record<string, unknown> {
  const result = response.result as { content: { text: string }[] };
  return JSON.parse(result.content[0].text) as Record<string, unknown>;
}

export function initializeRequest(id: number | string = 0): Record<string, unknown> {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'codex-mcp-client', title: 'Codex', version: '0.169.0' } },
  };
}

export const initializedNotification = { jsonrpc: '2.0', method: 'notifications/initialized' };

export function toolsCall(id: number | string, name: string, threadId?: string, args: Record<string, unknown> = {}): Record<string, unknown> {
  const meta = threadId === undefined ? {} : { _meta: { progressToken: id, threadId, sessionId: threadId, 'x-codex-turn-metadata': { thread_id: threadId } } };
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...meta } };
}

/** True while `pid` names a live process (a zombie counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Polls a condition of the outside world (a pid, a file) until it holds or the time is up. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) {
      assert.fail(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resident set size of a process in bytes (Linux), or undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The records jsonrpc-server.mjs wrote into `dir`, one per server process started. */
export function serverRecords(dir: string): { pid: number; CODEX_THREAD_ID: string | null; CODEX_SESSION_ID: string | null; CODEX_THREAD_CONTEXT: string | null }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { pid: number; CODEX_THREAD_ID: string | null; CODEX_SESSION_ID: string | null; CODEX_THREAD_CONTEXT: string | null });
}

/** afterEach: kill what is left of every shim started, remove every temp dir. */
export async function cleanupAll(): Promise<void> {
  for (const run of runs.splice(0)) {
    if (run.exit === undefined) {
      run.killGroup();
      await run.exited;
    }
    run.child.stdout?.destroy();
    run.child.stderr?.destroy();
    run.child.stdin?.destroy();
  }
  for (const pid of strayPids.splice(0)) {
    if (pidAlive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  for (const dir of tempDirs.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function skipUnlessLinux(ctx: Mocha.Context): void {
  if (process.platform !== 'linux') {
    ctx.skip();
  }
}
