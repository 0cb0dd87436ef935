// One object per test that bundles what a real-Codex test needs: a started mock model API, a
// private Codex home whose config points at it, a probe record file, and a cleanup that leaves
// nothing behind (Codex processes, orphaned MCP servers, the temp folder, the HTTP server).
//
//   const fx = await createCodexFixture({ turns: [...], mcpServers: (fx) => ({ probe: probeServerConfig({ recordFile: fx.recordFile }) }) });
//   afterEach(() => fx.cleanup());

import * as path from 'node:path';
import { killAllCodexProcesses } from './codexCli';
import { CodexTestHome, type CodexConfigOptions, type McpServerConfig } from './codexTestHome';
import { MockModelApi, type TurnSource } from './mockModelApi';
import { readProbeRecords } from './probeRecords';
import { isAlive, killTree, processArgv } from './processTree';

export interface CodexFixtureOptions {
  turns?: TurnSource;
  /** Text for turns when the queue is empty. */
  defaultText?: string;
  /** MCP servers for config.toml; a function sees the fixture's paths (record file, lock dir). */
  mcpServers?: Record<string, McpServerConfig> | ((fixture: { home: CodexTestHome; recordFile: string }) => Record<string, McpServerConfig>);
  /** Other config.toml settings (sandbox, approval policy, extra TOML). */
  config?: Omit<CodexConfigOptions, 'modelBaseUrl' | 'mcpServers'>;
}

export interface CodexFixture {
  mock: MockModelApi;
  home: CodexTestHome;
  /** Probe record file (inside the home's temp root; need not exist yet). */
  recordFile: string;
  /** The config.toml that was written. */
  configText: string;
  /** Kills everything the test started, closes the mock, removes the temp folder. Never throws. */
  cleanup(): Promise<void>;
}

export async function createCodexFixture(options: CodexFixtureOptions = {}): Promise<CodexFixture> {
  const mock = await new MockModelApi({ turns: options.turns, defaultText: options.defaultText }).start();
  const home = CodexTestHome.create();
  const recordFile = path.join(home.root, 'probe-records.jsonl');
  const servers = typeof options.mcpServers === 'function' ? options.mcpServers({ home, recordFile }) : (options.mcpServers ?? {});
  const configText = home.writeConfig({ ...options.config, modelBaseUrl: mock.baseUrl, mcpServers: servers });
  return {
    mock,
    home,
    recordFile,
    configText,
    async cleanup() {
      await killAllCodexProcesses().catch(() => undefined);
      await killOrphanedProbes(recordFile).catch(() => undefined);
      await mock.close().catch(() => undefined);
      home.cleanup();
    },
  };
}

/**
 * Probes whose Codex was SIGKILLed are re-parented to PID 1 and outside any tree we know; their
 * pids are in the record file. The command line is checked first: a pid may have been reused.
 */
export async function killOrphanedProbes(recordFile: string): Promise<void> {
  const pids = readProbeRecords(recordFile)
    .filter((r) => r.event === 'start')
    .map((r) => r.pid)
    .filter((pid) => isAlive(pid) && processArgv(pid).some((arg) => arg.endsWith('probeServer.js')));
  for (const pid of pids) {
    await killTree(pid);
  }
}
