// One real MCP server process: spawning it, its exit status as a shell would report it, and
// stopping it the way Codex stops servers (close stdin, then SIGTERM, then SIGKILL).
//
// The server stays in the shim's process group (no `detached`): Codex gives the shim its own
// group and stops servers by signalling that group, so Codex's SIGTERM/SIGKILL reach the server
// directly even when the shim cannot forward anything.
//
// What is guaranteed about the server's end (tests in test/unit/shim/lifecycle.test.ts):
//  - Codex stops the server (SIGTERM, SIGKILL 2 s later, to the group): the server gets them
//    directly; the shim also forwards SIGTERM/SIGINT/SIGHUP (so under a group signal the server
//    sees it twice) and exits with the server's status.
//  - Codex dies (even by SIGKILL): the shim's stdin ends; it closes the server's stdin, waits
//    until the output has stood still for 2 s, SIGTERMs, and SIGKILLs 2 s later. No server
//    outlives that, whatever it ignores.
//  - Someone signals only the shim: forwarded; a server still alive 2 s after SIGTERM/SIGHUP
//    is SIGKILLed.
//  - The shim alone is SIGKILLed (nothing in it can run): the server's stdin reaches EOF (the
//    shim held the only write end) and its next stdout write fails with EPIPE, so servers that
//    stop on either exit. One that ignores both stays, re-parented, until its group is killed.
//  - Windows: no POSIX signals. `npx`, `uvx` and other .cmd files run through cmd.exe, so the
//    child's pid is cmd's: stopping the server ends the whole tree (`taskkill /T /F`). cross-spawn
//    resolves such commands and escapes their arguments for cmd.exe (`%`, `!`, `^`, quotes).

import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import crossSpawn from 'cross-spawn';

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What a shell would report: the exit code, 128+n for signal n, 127 not found, 126 not executable. */
  status: number;
  /** Why the command could not be started (then code and signal are null). */
  spawnError?: string;
}

export interface ServerSpec {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** 'pipe' when the shim keeps a copy of stderr; 'inherit' costs nothing. */
  stderr: 'pipe' | 'inherit';
}

export const EXIT_NOT_FOUND = 127;
export const EXIT_NOT_EXECUTABLE = 126;

export class ServerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ServerExit>;
  private exit: ServerExit | undefined;
  private timers: NodeJS.Timeout[] = [];

  constructor(readonly spec: ServerSpec) {
    let resolveExit!: (e: ServerExit) => void;
    this.exited = new Promise((resolve) => (resolveExit = resolve));
    const settle = (e: ServerExit): void => {
      if (this.exit === undefined) {
        this.exit = e;
        for (const t of this.timers) {
          clearTimeout(t);
        }
        resolveExit(e);
      }
    };
    this.child = spawnServer(spec);
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      // 'error' also reports failed kill() calls; only a process that never started ends here.
      if (this.child.pid === undefined) {
        settle(spawnFailure(spec.command, err));
      }
    });
    this.child.on('exit', (code, signal) => {
      settle({ code, signal, status: statusOf(code, signal) });
    });
    // A server that stops reading must not crash the shim with EPIPE; its exit is what counts.
    this.child.stdin?.on('error', () => undefined);
  }

  /** Undefined until it runs, and when it could not be started. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Sends a signal if the process is still there; never throws. */
  signal(sig: NodeJS.Signals): void {
    if (this.exit !== undefined || this.child.pid === undefined) {
      return;
    }
    try {
      const tree = killTreeCommand(this.child.pid, sig);
      if (tree !== undefined) {
        spawnChild(tree.command, tree.args, { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
      } else {
        this.child.kill(sig);
      }
    } catch {
      // Gone already, or a signal this platform lacks (Windows knows few): nothing to do.
    }
  }

  /**
   * The polite stop Codex itself uses: close stdin (well-behaved stdio servers exit on EOF), give
   * it `graceMs`, then SIGTERM, then after another `graceMs` SIGKILL. With `progress`, the first
   * grace period only runs out once progress() has stood still for `graceMs`: a server still
   * delivering its last answers to a client that reads them is finishing, not hanging.
   */
  stop(graceMs: number, progress?: () => number): Promise<ServerExit> {
    if (this.exit !== undefined) {
      return this.exited;
    }
    this.child.stdin?.end();
    let last = progress?.();
    const check = (): void => {
      const now = progress?.();
      if (now !== last) {
        last = now;
        this.after(graceMs, check);
      } else {
        this.terminate(graceMs);
      }
    };
    this.after(graceMs, check);
    return this.exited;
  }

  /** SIGTERM now, SIGKILL after `graceMs` if it is still running. */
  terminate(graceMs: number): void {
    this.signal('SIGTERM');
    this.after(graceMs, () => this.signal('SIGKILL'));
  }

  private after(ms: number, fn: () => void): void {
    if (this.exit === undefined) {
      this.timers.push(setTimeout(fn, ms));
    }
  }
}

/** Starts the server: cross-spawn does what Windows needs (.cmd through cmd.exe, escaping). */
export function spawnServer(spec: ServerSpec): ChildProcess {
  return crossSpawn(spec.command, [...spec.args], { env: spec.env, stdio: ['pipe', 'pipe', spec.stderr], windowsHide: true });
}

/**
 * How to end a server and everything it started on Windows, where the child may be cmd.exe
 * running the real server and no signal reaches a tree: `taskkill /T /F`. Undefined: use a signal
 * (POSIX; and Ctrl-C-like SIGINT, which Windows does deliver to the child itself).
 */
export function killTreeCommand(pid: number, sig: NodeJS.Signals, platform: NodeJS.Platform = process.platform): { command: string; args: string[] } | undefined {
  if (platform !== 'win32' || sig === 'SIGINT') {
    return undefined;
  }
  return { command: 'taskkill', args: ['/pid', String(pid), '/T', '/F'] };
}

export function spawnFailure(command: string, err: NodeJS.ErrnoException): ServerExit {
  const notFound = err.code === 'ENOENT';
  const why = notFound
    ? 'command not found'
    : err.code === 'EACCES'
      ? 'permission denied (not executable)'
      : err.code === 'EISDIR'
        ? 'is a directory'
        : err.message;
  return {
    code: null,
    signal: null,
    status: notFound ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE,
    spawnError: `cannot start ${JSON.stringify(command)}: ${why}${err.code ? ` (${err.code})` : ''}`,
  };
}

/** The status a shell reports: 128+n for a process killed by signal n. */
export function statusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) {
    return code;
  }
  if (signal !== null) {
    const n = (constants.signals as Record<string, number | undefined>)[signal];
    return 128 + (n ?? 0);
  }
  return 1;
}
