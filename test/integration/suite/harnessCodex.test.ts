// The suite's Codex support works inside the extension host: a real `codex exec` thread runs in
// the harness's Codex home, in the open workspace folder, and its shim-wrapped MCP server gets the
// thread's id. View tests build on this.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { recordsOf } from '../../support/probeRecords';
import { HarnessCodex, harnessInfo } from '../support/harnessCodex';

describe('real Codex threads from inside VS Code', () => {
  let codex: HarnessCodex | undefined;
  afterEach(async () => {
    await codex?.dispose();
    codex = undefined;
  });

  it('runs a codex exec thread in the open workspace whose wrapped MCP server receives the thread id', async () => {
    codex = await HarnessCodex.start({
      turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
      servers: (h) => ({ probe: h.wrappedProbe('probe') }),
    });
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.equal(workspace && fs.realpathSync(workspace), codex.workspace, 'the open folder is the harness workspace');
    assert.equal(harnessInfo().codexHome, process.env.CODEX_HOME);

    const result = await codex.exec('call whoami');
    assert.ok(result.threadId, 'codex exec reported a thread id');
    assert.ok(codex.home.rolloutFileOf(result.threadId), 'the thread has a rollout in the harness Codex home');
    const starts = recordsOf(codex.recordFile, 'start').filter((r) => r.name === 'probe' && r.env.CODEX_THREAD_ID);
    assert.deepEqual([...new Set(starts.map((r) => r.env.CODEX_THREAD_ID))], [result.threadId], 'the wrapped server ran with the thread id');
    const calls = recordsOf(codex.recordFile, 'call');
    assert.equal(calls.length, 1, 'one tools/call reached the server');
    assert.deepEqual(codex.mock.problems, []);
  });
});
