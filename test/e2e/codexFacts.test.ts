// Pins the facts about the real Codex CLI that this project is built on (shared/codex-facts.md),
// by running the pinned `@openai/codex` offline against the mock model API with the probe MCP
// server configured directly (no shim). When Codex is upgraded and one of these fails, the
// facts file and the code that relies on that fact must be revisited together.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isThreadId, uuidV7Time } from '../../src/core/threadId';
import { startAppServer, startCodexExec } from '../support/codexCli';
import { readRolloutFirstLine } from '../support/codexTestHome';
import { createCodexFixture, type CodexFixture } from '../support/codexFixture';
import { lastJsonInOutput, type ModelRequest } from '../support/mockModelApi';
import { probeServerConfig, recordsOf, waitForProbeRecord, waitForProbeRecords } from '../support/probeRecords';
import { processInfo } from '../support/processTree';

const PINNED_CODEX_VERSION = '0.169.0';

describe('Codex CLI facts (real codex, offline)', function () {
  this.timeout(60_000);
  let fx: CodexFixture | undefined;

  afterEach(async () => {
    await fx?.cleanup();
    fx = undefined;
  });

  it('exec: the MCP server gets no thread id in its env, but every tools/call carries it in _meta', async () => {
    const seenDuringTurn: { lockExists?: boolean; threadId?: string } = {};
    fx = await createCodexFixture({
      // The first request of the turn is the moment to look at files: the thread is loaded and
      // its MCP server is running.
      turns: (request: ModelRequest) => {
        seenDuringTurn.threadId = request.threadId;
        seenDuringTurn.lockExists = request.threadId !== undefined && fs.existsSync(fx!.home.lockFile(request.threadId));
        return { callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' };
      },
      mcpServers: ({ home, recordFile }) => ({ probe: probeServerConfig({ recordFile, listDir: home.lockDir }) }),
    });
    const { home, mock, recordFile } = fx;

    const exec = startCodexExec({ home, prompt: 'call whoami' });
    const nativePid = await exec.nativePid();
    const nativeParent = processInfo(nativePid)?.ppid;
    const result = await exec.wait(30_000);
    const tid = result.threadId;

    assert.ok(isThreadId(tid), `thread.started carries a UUID thread id, got ${tid}`);
    assert.equal(result.events[0].type, 'thread.started', 'thread.started is the first JSONL event');
    const created = uuidV7Time(tid)!;
    assert.ok(Math.abs(created - exec.startedAt) < 30_000, 'the thread id is a UUIDv7 of about now');
    assert.deepEqual(mock.problems, []);
    assert.equal(seenDuringTurn.threadId, tid, 'the model request names the thread (thread-id header)');
    assert.equal(seenDuringTurn.lockExists, true, 'thread-writer-locks/<tid>.lock exists while the thread runs');

    // One server process, started by the native codex (the npm wrapper is its parent on Node 20).
    const starts = recordsOf(recordFile, 'start');
    assert.equal(starts.length, 1, 'one MCP server process per thread');
    const start = starts[0];
    assert.equal(start.ppid, nativePid, 'the MCP server is a child of the native codex');
    assert.equal(nativeParent, exec.pid, 'the native codex is a child of the npm wrapper (Node 20)');
    assert.equal(start.cwd, home.workDir, 'the server runs in the thread cwd');
    assert.equal(start.env.CODEX_THREAD_ID, undefined, 'no CODEX_THREAD_ID in the server env');
    assert.deepEqual(start.envNames.filter((n) => n.startsWith('CODEX_')), [], 'no CODEX_* variable at all (not even CODEX_HOME)');
    // The thread id (UUIDv7 time) is made before the server is forked (~30 ms before, measured).
    assert.ok(start.processStartTime >= created - 100, `server started ${created - start.processStartTime} ms before the thread id`);
    assert.ok(start.listing?.includes(`${tid}.lock`), `the lock file exists before the server is spawned: ${JSON.stringify(start.listing)}`);

    const init = recordsOf(recordFile, 'initialize')[0];
    assert.ok(init, 'the server was initialized');
    assert.ok(!JSON.stringify(init.params).includes(tid!), 'initialize carries no thread id');
    assert.deepEqual((init.params as { clientInfo: unknown }).clientInfo, { name: 'codex-mcp-client', title: 'Codex', version: PINNED_CODEX_VERSION });

    const calls = recordsOf(recordFile, 'call');
    assert.equal(calls.length, 1);
    const meta = calls[0].meta!;
    assert.equal(meta.threadId, tid, '_meta.threadId is the thread');
    assert.equal(meta.sessionId, tid, 'a root thread: session id = thread id');
    assert.equal((meta['x-codex-turn-metadata'] as Record<string, unknown>).thread_id, tid);
    const toolCallReply = mock.responseRequests.find((r) => r.reply?.kind === 'toolCall')!.reply as { callId: string };
    assert.equal(meta.callId, toolCallReply.callId, "_meta.callId is the model's call_id");

    // What the model got back: the probe's answer, inside a function_call_output.
    const continuation = mock.responseRequests.find((r) => r.continuation)!;
    const output = lastJsonInOutput(continuation.toolOutputs.at(-1)!.output);
    assert.deepEqual(output, { pid: start.pid, name: null, threadId: null, metaThreadId: tid });

    // Codex stops its servers on a normal exit (it closes their stdin and SIGTERMs them; which one
    // the server notices first varies), and unloads the thread.
    const exit = await waitForProbeRecord(recordFile, 'exit', (r) => r.pid === start.pid);
    assert.ok(['SIGTERM', 'stdin-end'].includes(exit.reason), `stopped by Codex, got ${exit.reason}`);
    assert.equal(fs.existsSync(home.lockFile(tid!)), false, 'the lock file is deleted when the thread unloads');

    // The rollout: sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<tid>.jsonl, session_meta first.
    const rollout = home.rolloutFileOf(tid!);
    assert.ok(rollout, `a rollout file for ${tid} in ${home.rolloutFiles().join(', ') || '(none)'}`);
    const rel = path.relative(home.sessionsDir, rollout);
    assert.match(rel, new RegExp(`^\\d{4}/\\d{2}/\\d{2}/rollout-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-${tid}\\.jsonl$`));
    const first = readRolloutFirstLine(rollout) as { type: string; payload: Record<string, unknown> };
    assert.equal(first.type, 'session_meta');
    assert.equal(first.payload.id, tid);
    assert.equal(first.payload.originator, 'codex_exec');
    assert.equal(first.payload.source, 'exec');
    assert.equal(first.payload.cli_version, PINNED_CODEX_VERSION);
  });

  it('exec resume: a new server process for the same thread id, same rollout file', async () => {
    fx = await createCodexFixture({
      turns: [
        { callTool: { server: 'probe', tool: 'whoami' }, thenText: 'first' },
        { callTool: { server: 'probe', tool: 'whoami' }, thenText: 'second' },
      ],
      mcpServers: ({ recordFile }) => ({ probe: probeServerConfig({ recordFile }) }),
    });
    const { home, mock, recordFile } = fx;

    const first = await startCodexExec({ home, prompt: 'one' }).wait(30_000);
    const tid = first.threadId!;
    const resumed = await startCodexExec({ home, prompt: 'two', resumeThreadId: tid }).wait(30_000);

    assert.equal(resumed.threadId, tid, 'resume reports the same thread id');
    assert.deepEqual(mock.problems, []);
    const starts = recordsOf(recordFile, 'start');
    assert.equal(starts.length, 2, 'resume spawns a new server process');
    assert.notEqual(starts[0].pid, starts[1].pid);
    assert.ok(starts.every((s) => s.env.CODEX_THREAD_ID === undefined));
    const calls = recordsOf(recordFile, 'call');
    assert.deepEqual(
      calls.map((c) => [c.pid, c.meta?.threadId]),
      [
        [starts[0].pid, tid],
        [starts[1].pid, tid],
      ],
    );
    assert.equal(home.rolloutFiles().length, 1, 'resume appends to the existing rollout');
  });

  it('app-server: one server process per thread, each call carries its own thread id', async () => {
    fx = await createCodexFixture({
      turns: (request) => ({ callTool: { server: 'probe', tool: 'whoami' }, thenText: `done ${request.threadId}` }),
      mcpServers: ({ recordFile }) => ({ probe: probeServerConfig({ recordFile }) }),
    });
    const { home, mock, recordFile } = fx;

    const client = await startAppServer({ home });
    assert.equal(client.initializeResult?.codexHome, home.codexHome);
    const a = await client.threadStart();
    const b = await client.threadStart();
    assert.ok(isThreadId(a.id) && isThreadId(b.id) && a.id !== b.id);
    await client.waitForMcpServerReady(a.id, 'probe');
    await client.waitForMcpServerReady(b.id, 'probe');

    const starts = await waitForProbeRecords(recordFile, 'start', 2);
    const nativePid = await client.nativePid();
    assert.equal(starts.length, 2, 'two threads, two processes of the same server');
    assert.ok(starts.every((s) => s.ppid === nativePid), 'both are children of the one app-server');
    assert.ok(starts.every((s) => s.env.CODEX_THREAD_ID === undefined), 'neither knows its thread from env');

    for (const thread of [a, b]) {
      const started = await client.waitForNotification<{ thread: { id: string; path?: string } }>('thread/started', (p) => p.thread.id === thread.id);
      assert.ok(started.thread.path?.endsWith(`-${thread.id}.jsonl`), 'thread/started carries the rollout path');
    }

    await client.runTurn(a.id, 'go a');
    await client.runTurn(b.id, 'go b');
    assert.deepEqual(mock.problems, []);

    const calls = recordsOf(recordFile, 'call');
    assert.equal(calls.length, 2);
    const byThread = new Map(calls.map((c) => [c.meta?.threadId, c.pid]));
    assert.deepEqual([...byThread.keys()].sort(), [a.id, b.id].sort(), "each call's _meta.threadId is a thread");
    assert.notEqual(byThread.get(a.id), byThread.get(b.id), 'the two threads were served by different processes');
    for (const thread of [a, b]) {
      // The mock saw each thread's tool output come back on that thread's own request.
      const continuation = mock.responseRequests.find((r) => r.continuation && r.threadId === thread.id)!;
      const output = lastJsonInOutput(continuation.toolOutputs.at(-1)!.output);
      assert.equal(output?.metaThreadId, thread.id);
      assert.equal(output?.pid, byThread.get(thread.id));
    }

    await client.close();
    await waitForProbeRecords(recordFile, 'exit', 2);
  });
});
