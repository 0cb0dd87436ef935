// Real Codex threads for suite tests, in the Codex home the harness gave VS Code.
//
// The runner (code-server or test-electron) creates one private world per run and passes it to
// the extension host's environment: CODEX_HOME, HOME, a workspace folder (the open folder, where
// threads run by default), and CODEX_TC_HARNESS_INFO (a JSON file with the same facts). A test
// starts the offline mock model API and MCP servers wrapped by the built shim (dist/shim.js),
// then runs threads with the pinned Codex CLI; the extension under test sees them as a user's.
//
//   let codex: HarnessCodex | undefined;
//   afterEach(async () => { await codex?.dispose(); codex = undefined; });
//   it('...', async () => {
//     codex = await HarnessCodex.start({
//       turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
//       servers: (h) => ({ probe: h.wrappedProbe('probe') }),
//     });
//     const ended = await codex.exec('hello');                  // a thread that ends
//     const app = await codex.appServer();                      // threads that stay live
//     const thread = await app.threadStart();
//     await app.waitForMcpServerReady(thread.id, 'probe');
//     await app.runTurn(thread.id, 'call it');
//   });
//
// Threads accumulate in the one Codex home during a run: find yours by id, not by count.
// build first (`node esbuild.config.mjs`): the shim is the built dist/shim.js.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { killAllCodexProcesses, runCodexExec, startAppServer, startCodexExec, type AppServerClient, type AppServerOptions, type CodexExecOptions, type CodexExecProcess, type CodexRunResult } from '../../support/codexCli';
import { killOrphanedProbes } from '../../support/codexFixture';
import { CodexTestHome, type CodexConfigOptions, type McpServerConfig } from '../../support/codexTestHome';
import { MockModelApi, type TurnSource } from '../../support/mockModelApi';
import { probeServerArgv, probeServerConfig, type ProbeServerOptions } from '../../support/probeRecords';
import { repoRoot } from '../codeServer/paths';
import { HARNESS_INFO_ENV, UNSTARTED_MODEL_URL, type HarnessInfo } from '../codeServer/profile';

/** The world of this run, as the runner described it. Throws when the suite runs without a harness. */
export function harnessInfo(): HarnessInfo {
  const file = process.env[HARNESS_INFO_ENV];
  if (!file) {
    throw new Error(`${HARNESS_INFO_ENV} is not set: run the suite through npm run test:integration (or test:integration:electron)`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as HarnessInfo;
}

/**
 * Under @vscode/test-electron `process.execPath` (which the Codex helpers and probe configs run
 * scripts with) is Electron: it runs them as Node only with ELECTRON_RUN_AS_NODE=1, which Codex
 * does not pass to MCP servers, so it goes into their `env` table and into Codex's environment.
 * Under code-server the extension host is plain Node and nothing is added.
 */
const NODE_MODE_ENV: Record<string, string> = process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {};

/** The built shim the tests wrap servers with. */
export function shimScript(): string {
  return path.join(repoRoot(), 'dist', 'shim.js');
}

/**
 * `[mcp_servers.X]` that runs `command args` behind the shim, as a user configures it by hand
 * (plus `required = true`, see HarnessCodex.wrappedProbe).
 */
export function shimWrapped(command: string, args: string[], extra: Omit<McpServerConfig, 'command' | 'args'> = {}): McpServerConfig {
  const env = { ...NODE_MODE_ENV, ...extra.env };
  return {
    startupTimeoutSec: 20,
    required: true,
    ...extra,
    ...(Object.keys(env).length > 0 ? { env } : {}),
    command: process.execPath,
    args: [shimScript(), '--', command, ...args],
  };
}

export interface HarnessCodexOptions {
  /** What the model does per turn (queue or function); see MockModelApi. */
  turns?: TurnSource;
  /** Answer when the queue is empty. */
  defaultText?: string;
  /** MCP servers for config.toml; `h` gives the record file and wrapping helpers. */
  servers?: (h: HarnessCodex) => Record<string, McpServerConfig>;
  /** Other config.toml settings. */
  config?: Omit<CodexConfigOptions, 'modelBaseUrl' | 'mcpServers'>;
}

export class HarnessCodex {
  /** The harness's Codex home (HOME, CODEX_HOME, work dir = the workspace folder). */
  readonly home: CodexTestHome;
  readonly mock: MockModelApi;
  /** Where probe servers append their records (fresh per HarnessCodex). */
  readonly recordFile: string;
  /** The config.toml text that was written. */
  configText = '';

  private constructor(home: CodexTestHome, mock: MockModelApi) {
    this.home = home;
    this.mock = mock;
    this.recordFile = path.join(home.root, `probe-records-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.jsonl`);
  }

  /** Starts the mock model API and writes the harness home's config.toml to use it and `servers`. */
  static async start(options: HarnessCodexOptions = {}): Promise<HarnessCodex> {
    const info = harnessInfo();
    const mock = await new MockModelApi({ turns: options.turns, defaultText: options.defaultText }).start();
    const codex = new HarnessCodex(CodexTestHome.attach(info.root), mock);
    codex.configText = codex.home.writeConfig({ ...options.config, modelBaseUrl: mock.baseUrl, mcpServers: options.servers?.(codex) ?? {} });
    return codex;
  }

  /** The open workspace folder (= home.workDir, the default cwd of threads). */
  get workspace(): string {
    return this.home.workDir;
  }

  /**
   * The probe MCP server (records its start, env, calls) behind the shim. `required = true` unless
   * `options.extra` says otherwise: without it `codex exec` may send its first model request
   * before a slow server is ready, without the server's tools (seen on a loaded machine).
   */
  wrappedProbe(name: string, options: Omit<ProbeServerOptions, 'recordFile' | 'name'> = {}): McpServerConfig {
    const direct = this.directProbe(name, options);
    const [command, ...args] = probeServerArgv(this.recordFile, name);
    return { ...direct, command: process.execPath, args: [shimScript(), '--', command, ...args] };
  }

  /** The probe without the shim (an unwrapped server); `required = true` as in wrappedProbe. */
  directProbe(name: string, options: Omit<ProbeServerOptions, 'recordFile' | 'name'> = {}): McpServerConfig {
    return probeServerConfig({ ...options, env: { ...NODE_MODE_ENV, ...options.env }, extra: { required: true, ...options.extra }, recordFile: this.recordFile, name });
  }

  /** `codex exec` to the end: a thread that ends. */
  exec(prompt: string, options: Omit<CodexExecOptions, 'home' | 'prompt'> & { timeoutMs?: number } = {}): Promise<CodexRunResult> {
    return runCodexExec({ ...options, env: { ...NODE_MODE_ENV, ...options.env }, home: this.home, prompt });
  }

  /** `codex exec` in the background (e.g. to look at it while a call is running). */
  startExec(prompt: string, options: Omit<CodexExecOptions, 'home' | 'prompt'> = {}): CodexExecProcess {
    return startCodexExec({ ...options, env: { ...NODE_MODE_ENV, ...options.env }, home: this.home, prompt });
  }

  /** `codex app-server`: threads that stay live until it is closed. */
  appServer(options: Omit<AppServerOptions, 'home'> = {}): Promise<AppServerClient> {
    return startAppServer({ ...options, env: { ...NODE_MODE_ENV, ...options.env }, home: this.home });
  }

  /** Kills every Codex process and probe started, stops the mock, resets config.toml. Never throws. */
  async dispose(): Promise<void> {
    await killAllCodexProcesses().catch(() => undefined);
    await killOrphanedProbes(this.recordFile).catch(() => undefined);
    await this.mock.close().catch(() => undefined);
    try {
      this.home.writeConfig({ modelBaseUrl: UNSTARTED_MODEL_URL });
    } catch {
      // the runner removes the whole home anyway
    }
  }
}
