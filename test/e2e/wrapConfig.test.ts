// `codex-thread-shim wrap` against the pinned real Codex: every wrapped corpus file is accepted by
// Codex (`codex mcp list --json` and `codex mcp get` show the launcher in front of the original
// command), and in a real `codex exec` a server wrapped by the CLI gets its thread id through the
// launcher. Build first: `node esbuild.config.mjs`.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseCodexConfig } from '../../src/core/codexConfig';
import { installLauncher, launcherPath } from '../../src/core/launcher';
import { codexEntryScript, runCodexExec } from '../support/codexCli';
import { createCodexFixture, type CodexFixture } from '../support/codexFixture';
import { CodexTestHome } from '../support/codexTestHome';
import { probeServerConfig, waitForProbeRecord } from '../support/probeRecords';
import { corpusFiles, CORPUS_DIR } from '../unit/codexConfig/corpus';

const REPO = path.resolve(__dirname, '..', '..', '..');
const SHIM = path.join(REPO, 'dist', 'shim.js');
const run = promisify(execFile);

interface ListedServer {
  name: string;
  transport: { type: string; command?: string; args?: string[] };
}

async function shim(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [SHIM, ...args], { env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function codex(home: CodexTestHome, args: string[]): Promise<string> {
  const r = await run(process.execPath, [codexEntryScript(), ...args], { env: home.env(), cwd: home.workDir, timeout: 60_000 });
  return r.stdout;
}

describe('wrap with the real Codex (0.169)', function () {
  this.timeout(180_000);
  let fx: CodexFixture | undefined;
  let home: CodexTestHome | undefined;
  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
    home?.cleanup();
    home = undefined;
  });

  it('Codex accepts every wrapped corpus file and shows the launcher in front of the original command', async () => {
    home = CodexTestHome.create();
    const { path: launcher } = await installLauncher(home.codexHome, { shimPath: SHIM, version: 'test' });
    const config = path.join(home.codexHome, 'config.toml');
    const failures: string[] = [];
    for (const file of corpusFiles()) {
      const original = fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8');
      fs.writeFileSync(config, original);
      const before = parseCodexConfig(original, config).servers;
      const wrapped = await shim(['wrap', '--all', '--json'], home.env());
      assert.equal(wrapped.code, 0, `${file}: ${wrapped.stderr}`);
      const changed = (JSON.parse(wrapped.stdout) as { servers: { name: string; result: string }[] }).servers.filter((s) => s.result === 'changed');
      let listed: ListedServer[];
      try {
        listed = JSON.parse(await codex(home, ['mcp', 'list', '--json'])) as ListedServer[];
      } catch (e) {
        failures.push(`${file}: codex mcp list failed: ${(e as { stderr?: string }).stderr ?? e}`);
        continue;
      }
      for (const { name } of changed) {
        const was = before.find((s) => s.name === name)!;
        const got = listed.find((s) => s.name === name);
        if (got?.transport.command !== launcher || JSON.stringify(got.transport.args) !== JSON.stringify(['--', was.command, ...was.args])) {
          failures.push(`${file}: ${name} listed as ${JSON.stringify(got?.transport)}`);
        }
      }
      if (changed.length > 0) {
        const got = JSON.parse(await codex(home, ['mcp', 'get', changed[0].name, '--json'])) as ListedServer;
        if (got.transport.command !== launcher) failures.push(`${file}: mcp get ${changed[0].name}: ${JSON.stringify(got.transport)}`);
      }
      const unwrapped = await shim(['unwrap', ...changed.map((s) => s.name)], home.env());
      assert.equal(unwrapped.code, 0, unwrapped.stderr);
      assert.equal(fs.readFileSync(config, 'utf8'), original, `${file}: unwrap gives back the original bytes`);
    }
    assert.deepEqual(failures, []);
  });

  it('exec: a server wrapped by the CLI gets its thread id through the launcher', async () => {
    fx = await createCodexFixture({
      turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
      // `required`: Codex waits for the server before its first model request (a slow start on a
      // busy machine would otherwise miss the turn; that is not what this test is about).
      mcpServers: ({ recordFile }) => ({ probe: probeServerConfig({ recordFile, name: 'probe', extra: { required: true } }) }),
    });
    await installLauncher(fx.home.codexHome, { shimPath: SHIM, version: 'test' });
    const wrapped = await shim(['wrap', 'probe'], fx.home.env());
    assert.equal(wrapped.code, 0, wrapped.stderr);
    const server = parseCodexConfig(fs.readFileSync(path.join(fx.home.codexHome, 'config.toml'), 'utf8'), 'config.toml').servers.find((s) => s.name === 'probe')!;
    assert.equal(server.command, launcherPath(fx.home.codexHome));

    const result = await runCodexExec({ home: fx.home, prompt: 'who am i', timeoutMs: 60_000 });
    const start = await waitForProbeRecord(fx.recordFile, 'start');
    assert.equal(start.env.CODEX_THREAD_ID, result.threadId, 'the server started with the thread id Codex reports');
    const call = await waitForProbeRecord(fx.recordFile, 'call');
    assert.equal(call.meta?.threadId, result.threadId);
  });
});
