// Everything `npm run demo` (and `npm run screenshot`) runs, as one object with one stop():
//   - a private world (HarnessProfile): HOME, CODEX_HOME, XDG, TMPDIR, a workspace folder;
//   - the offline mock model API: every turn calls the demo MCP server's `whoami`, then answers;
//   - config.toml with the demo server wrapped by the shim (and the same server unwrapped, so the
//     MCP Servers view has both kinds);
//   - real Codex threads with the pinned CLI: one `codex exec` thread that ends, and an app-server
//     holding two live threads that run a turn (one tool call) every few seconds each;
//   - code-server (cached install, see test/integration/codeServer) with the packaged .vsix
//     installed into a private extensions folder, on 127.0.0.1.
// Build first: `npm run package` (dist/shim.js and dist/codex-thread-context.vsix).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { killAllCodexProcesses, runCodexExec, startAppServer, type AppServerClient } from '../support/codexCli';
import type { McpServerConfig } from '../support/codexTestHome';
import { MockModelApi } from '../support/mockModelApi';
import { delay, waitFor } from '../support/wait';
import { ensureCodeServer } from '../integration/codeServer/install';
import { runCommand } from '../integration/codeServer/log';
import { repoRoot, type CodeServerInstall } from '../integration/codeServer/paths';
import { HarnessProfile } from '../integration/codeServer/profile';
import { CodeServer } from '../integration/codeServer/server';
import { killStrayProcesses } from '../integration/codeServer/strays';

export interface DemoOptions {
  /** code-server's port on 127.0.0.1; default a free one. */
  port?: number;
  /** Pause between two turns of one live thread. */
  turnIntervalMs?: number;
  /** Aborting it stops everything, also while starting (Ctrl-C during the first install). */
  signal?: AbortSignal;
  /** Progress lines (default: stderr with a `[demo]` prefix). */
  log?: (message: string) => void;
}

export interface DemoEnvironment {
  /** The workbench URL with the demo workspace open. */
  url: string;
  root: string;
  workspace: string;
  codexHome: string;
  /** code-server's user-data folder (its logs/ tell what the extension host did). */
  userDataDir: string;
  server: CodeServer;
  /** The exec thread (ended) and the app-server's live threads. */
  threads: { ended: string; live: string[] };
  /** Tool calls the live threads have completed so far. */
  liveCalls(): number;
  /** Stops everything started (loops, Codex, MCP servers, mock, code-server) and removes the temp root. */
  stop(): Promise<void>;
}

const DEMO_SERVER = 'demo';

export function vsixPath(): string {
  return path.join(repoRoot(), 'dist', 'codex-thread-context.vsix');
}

export async function startDemoEnvironment(options: DemoOptions = {}): Promise<DemoEnvironment> {
  const log = options.log ?? ((m: string) => process.stderr.write(`[demo] ${m}\n`));
  const repo = repoRoot();
  const shim = path.join(repo, 'dist', 'shim.js');
  const demoServer = path.join(repo, 'out', 'test', 'demo', 'demoMcpServer.js');
  for (const [file, how] of [[shim, 'npm run package'], [vsixPath(), 'npm run package'], [demoServer, 'npm run compile-tests']]) {
    if (!fs.existsSync(file)) {
      throw new Error(`${file} is missing: run \`${how}\` first (npm run demo does both)`);
    }
  }

  const install = await ensureCodeServer();
  const profile = HarnessProfile.create({ prefix: 'ctc-demo-' });
  const stops: (() => Promise<void>)[] = [
    async () => {
      await killStrayProcesses(profile.root);
      profile.cleanup();
    },
  ];
  let stopped = false;
  let stopping: Promise<void> | undefined;
  // One stop for everyone (Ctrl-C, a failed start, the caller): later calls wait for the first.
  const stop = (): Promise<void> => {
    stopped = true;
    stopping ??= (async () => {
      for (const step of stops.reverse()) {
        await step().catch((err: unknown) => log(`while stopping: ${err instanceof Error ? err.message : String(err)}`));
      }
    })();
    return stopping;
  };

  options.signal?.addEventListener('abort', () => void stop(), { once: true });
  const checkAborted = () => {
    if (options.signal?.aborted) throw new Error('demo stopped while starting');
  };

  try {
    fs.writeFileSync(
      path.join(profile.workspace, 'README.md'),
      '# Codex Thread Context demo\n\nReal Codex threads run in this folder (offline, against a mock model).\n' +
        'Open the Codex Threads view in the activity bar: two live threads call the `demo` MCP server every few seconds;\n' +
        'one `codex exec` thread has ended.\n',
    );

    const mock = await new MockModelApi({
      turns: () => ({
        callTool: { server: DEMO_SERVER, tool: 'whoami' },
        thenText: (output) => `The demo server says: ${output.split('\n').pop() ?? output}`,
      }),
    }).start();
    stops.push(() => mock.close());

    // required: codex exec then waits for the server before its first model request (else, on a
    // busy machine, that request may go out without the server's tools).
    const wrapped: McpServerConfig = { command: process.execPath, args: [shim, '--', process.execPath, demoServer], startupTimeoutSec: 20, required: true };
    const unwrapped: McpServerConfig = { command: process.execPath, args: [demoServer], startupTimeoutSec: 20 };
    profile.codex.writeConfig({ modelBaseUrl: mock.baseUrl, mcpServers: { [DEMO_SERVER]: wrapped, 'demo-unwrapped': unwrapped } });
    stops.push(() => killAllCodexProcesses());

    log('running a codex exec thread (it calls the demo server once and ends)');
    const exec = await runCodexExec({ home: profile.codex, prompt: 'One-off exec: ask the demo server once', timeoutMs: 90_000 });

    log('starting codex app-server with two live threads');
    checkAborted();
    // Client name of the Codex IDE extension: the live threads show as an IDE's, as they would for a user.
    const app = await startAppServer({ home: profile.codex, clientName: 'codex_vscode', requestTimeoutMs: 60_000 });
    // Stopped in reverse order: the app-server first (its pending turns then fail), then the loops end.
    let loops: Promise<void>[] = [];
    stops.push(async () => {
      await Promise.all(loops);
    });
    stops.push(() => app.close());
    const live: string[] = [];
    for (const label of ['A', 'B']) {
      const thread = await app.threadStart();
      await app.waitForMcpServerReady(thread.id, DEMO_SERVER, 60_000);
      await app.runTurn(thread.id, `Live thread ${label}: keep asking the demo server`, 60_000);
      live.push(thread.id);
    }
    let liveCalls = live.length;
    const interval = options.turnIntervalMs ?? 4000;
    loops = live.map((id, i) => keepCalling(app, id, interval, i * (interval / 2), () => stopped, () => liveCalls++, log));

    checkAborted();
    log('installing the packaged extension into the demo profile');
    await installVsix(install, profile, vsixPath());
    const server = await CodeServer.start({
      install,
      env: profile.env(),
      userDataDir: profile.userDataDir,
      extensionsDir: profile.extensionsDir,
      port: options.port,
    });
    stops.push(() => server.stop());
    checkAborted();

    return {
      url: `${server.url}?folder=${encodeURIComponent(profile.workspace)}`,
      root: profile.root,
      workspace: profile.workspace,
      codexHome: profile.codex.codexHome,
      userDataDir: profile.userDataDir,
      server,
      threads: { ended: exec.threadId ?? '', live },
      liveCalls: () => liveCalls,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `code-server --install-extension <vsix>` into the profile's extensions folder. */
export async function installVsix(install: CodeServerInstall, profile: HarnessProfile, vsix: string): Promise<void> {
  await runCommand(
    install.node,
    [install.entry, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir, '--install-extension', vsix, '--force'],
    { env: { ...profile.env(), EXTENSIONS_GALLERY: '{}' } },
  );
}

/** One turn (one tool call) every `intervalMs` until `isStopped()`; a failed turn is logged, not fatal. */
async function keepCalling(
  app: AppServerClient,
  threadId: string,
  intervalMs: number,
  offsetMs: number,
  isStopped: () => boolean,
  onCall: () => void,
  log: (m: string) => void,
): Promise<void> {
  await pause(offsetMs, isStopped);
  for (let turn = 2; !isStopped(); turn++) {
    try {
      await app.runTurn(threadId, `Turn ${turn}: ask the demo server again`, 60_000);
      onCall();
    } catch (err) {
      if (!isStopped()) {
        log(`a turn of ${threadId} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    }
    await pause(intervalMs, isStopped);
  }
}

/** Sleeps up to `ms`, returning early once stopped (so Ctrl-C is quick). */
async function pause(ms: number, isStopped: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (!isStopped() && Date.now() < until) {
    await delay(Math.min(200, until - Date.now()));
  }
}

/**
 * Resolves once the extension host has activated the installed extension (its log line
 * `ExtensionService#_doActivateExtension <id>`): the packaged .vsix loads in a real VS Code.
 */
export function waitForExtensionActivation(userDataDir: string, timeoutMs = 60_000): Promise<string> {
  const id = 'codex-thread-context.codex-thread-context';
  const logs = path.join(userDataDir, 'logs');
  return waitFor(
    () => {
      for (const session of fs.readdirSync(logs)) {
        for (const host of fs.readdirSync(path.join(logs, session)).filter((name) => name.startsWith('exthost'))) {
          const file = path.join(logs, session, host, 'remoteexthost.log');
          const line = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').find((l) => l.includes(`_doActivateExtension ${id}`)) : undefined;
          if (line) return line;
        }
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 250, description: `the extension host to activate ${id}` },
  );
}
