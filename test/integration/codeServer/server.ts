// Starts code-server on 127.0.0.1 (a free port chosen by the kernel, read back from its log),
// waits for /healthz, and stops it with everything it started: it runs in its own process group,
// and the whole tree (extension host, pty host, anything a test spawned) is killed at the end.

import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import { descendantPids, isAlive, killTree } from '../../support/processTree';
import { tail, waitFor } from '../../support/wait';
import { progress } from './log';
import type { CodeServerInstall } from './paths';

export interface CodeServerOptions {
  install: CodeServerInstall;
  /** The whole environment (built from scratch by HarnessProfile.env). */
  env: Record<string, string>;
  userDataDir: string;
  extensionsDir: string;
  /** More command-line options, e.g. `['--vscode-option', 'enable-smoke-test-driver']`. */
  extraArgs?: string[];
  /** Port on 127.0.0.1; default 0: a free one the kernel picks (read back from code-server's log). */
  port?: number;
  /** How long to wait for the first healthy answer. */
  startTimeoutMs?: number;
}

export class CodeServer {
  readonly child: ChildProcess;
  private output = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  port = 0;

  private constructor(options: CodeServerOptions) {
    const args = [
      options.install.entry,
      '--bind-addr', `127.0.0.1:${options.port ?? 0}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--user-data-dir', options.userDataDir,
      '--extensions-dir', options.extensionsDir,
      ...(options.extraArgs ?? []),
    ];
    this.child = spawn(options.install.node, args, {
      // No gallery: code-server must not look up public hosts.
      env: { ...options.env, EXTENSIONS_GALLERY: '{}' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const collect = (chunk: Buffer) => {
      this.output = tail(this.output + chunk.toString('utf8'), 200_000);
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.child.on('exit', (code, signal) => (this.exitInfo = { code, signal }));
  }

  /** Starts code-server and resolves once /healthz answers. */
  static async start(options: CodeServerOptions): Promise<CodeServer> {
    const server = new CodeServer(options);
    try {
      server.port = await waitFor(
        () => {
          if (server.exitInfo) {
            throw new Error(`code-server exited (code ${server.exitInfo.code}, signal ${server.exitInfo.signal})`);
          }
          const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(server.output);
          return match ? Number(match[1]) : undefined;
        },
        { timeoutMs: options.startTimeoutMs ?? 60_000, intervalMs: 50, description: 'code-server to listen', diagnostics: () => server.log() },
      );
      await waitFor(() => httpStatus(`${server.url}healthz`).then((status) => status === 200), {
        timeoutMs: options.startTimeoutMs ?? 60_000,
        intervalMs: 100,
        description: `${server.url}healthz to answer 200`,
        diagnostics: () => server.log(),
      });
    } catch (err) {
      await server.stop();
      throw err;
    }
    progress(`code-server ${server.url} (pid ${server.child.pid})`);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** `host:port`, the authority of `vscode-remote://` URIs this workbench understands. */
  get authority(): string {
    return `127.0.0.1:${this.port}`;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  /** The last part of code-server's own log, for error messages. */
  log(): string {
    return `code-server log (tail):\n${tail(this.output, 4000) || '(empty)'}`;
  }

  /**
   * Stops code-server and every process below it. SIGTERM first (so the extension host can
   * deactivate), SIGKILL to the whole tree after `graceMs`.
   */
  async stop(graceMs = 3000): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) {
      return;
    }
    // Read the tree before signalling: once a parent dies its children move to PID 1.
    const tree = [pid, ...descendantPids(pid)];
    if (!this.hasExited) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await waitFor(() => tree.every((p) => !isAlive(p)), { timeoutMs: graceMs, intervalMs: 50 }).catch(() => undefined);
    }
    const left = [...new Set([...tree, ...descendantPids(pid)])].filter(isAlive);
    if (left.length > 0) {
      await killTree(pid, left).catch((err: unknown) => progress(`could not kill every code-server process: ${String(err)}`));
    }
  }
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  });
}
