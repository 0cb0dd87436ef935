// The shim with Codex 0.125.0, the version of the original bug report: it writes no thread lock
// files and creates the rollout only after the server answered `initialize`, so nothing at start
// tells the shim its thread. The server starts without an id (never a made-up one), and the
// per-call check restarts it with the id from the first `tools/call` `_meta.threadId`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ThreadContext } from '../../src/core/store/threadContext';
import { isThreadId } from '../../src/core/threadId';
import { codex0125EntryScript, runCodexExec } from '../support/codexCli';
import { createCodexFixture, type CodexFixture } from '../support/codexFixture';
import { probeServerArgv, probeServerConfig, recordsOf } from '../support/probeRecords';
import { waitFor } from '../support/wait';

const SHIM = path.resolve(__dirname, '..', '..', '..', 'dist', 'shim.js');

describe('codex-thread-shim with Codex 0.125.0 (no lock files)', function () {
  this.timeout(90_000);
  let fx: CodexFixture | undefined;

  before(function () {
    if (process.platform !== 'linux') {
      this.skip(); // the fixture's process helpers read /proc
    }
  });

  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it('the server that answers a call runs with that call thread id, found by the per-call check', async () => {
    fx = await createCodexFixture({
      turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
      mcpServers: ({ recordFile }) => ({
        probe: { ...probeServerConfig({ recordFile, name: 'probe' }), command: process.execPath, args: [SHIM, '--', ...probeServerArgv(recordFile, 'probe')] },
      }),
    });
    const { home, mock, recordFile } = fx;
    const run = await runCodexExec({ home, prompt: 'who am i', timeoutMs: 60_000, codexScript: codex0125EntryScript() });
    const tid = run.threadId!;
    assert.ok(isThreadId(tid), `thread.started carries a thread id: ${tid}`);
    assert.equal(fs.existsSync(path.join(home.codexHome, 'thread-writer-locks', `${tid}.lock`)), false, '0.125 writes no lock file');
    assert.deepEqual(mock.problems, []);

    const [call] = recordsOf(recordFile, 'call');
    assert.ok(call, 'the model called the probe through the shim');
    assert.equal(call.meta?.threadId, tid, '0.125 puts the thread id in _meta.threadId too');
    const starts = recordsOf(recordFile, 'start');
    const answering = starts.find((s) => s.pid === call.pid);
    assert.equal(answering?.env.CODEX_THREAD_ID, tid, 'the server that answered runs with the thread id');
    assert.equal(answering?.env.CODEX_SESSION_ID, tid);
    assert.equal(starts[0].env.CODEX_THREAD_ID, undefined, 'the first server started without an id: nothing could tell it');

    const continuation = mock.responseRequests.find((r) => r.continuation);
    const seen = continuation?.toolOutputs.at(-1)?.output;
    assert.ok(seen?.includes(tid), `the model got the thread id back in the tool output: ${seen}`);

    // The binding of the replacement server is in the thread's context file, marked as found per call.
    const contextFile = answering!.env.CODEX_THREAD_CONTEXT!;
    const ctx = await waitFor(
      () => {
        const c = fs.existsSync(contextFile) ? (JSON.parse(fs.readFileSync(contextFile, 'utf8')) as ThreadContext) : undefined;
        return c?.bindings.some((b) => b.serverPid === answering!.pid) ? c : undefined;
      },
      { timeoutMs: 10_000, description: `the replacement binding in ${contextFile}` },
    );
    assert.equal(ctx.thread.id, tid);
    const binding = ctx.bindings.find((b) => b.serverPid === answering!.pid)!;
    assert.equal(binding.resolvedBy, 'per-call');
    assert.equal(binding.corrections[0]?.to, tid);
    assert.equal(binding.corrections[0]?.action, 'restart');
  });
});
