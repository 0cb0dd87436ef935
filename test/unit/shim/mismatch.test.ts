// The per-call check: a tools/call whose _meta.threadId differs from the server's thread.
// restart: a new server with the right id, the handshake replayed, every request answered once,
// by the server it was sent to. keep: the server stays, the mismatch is only recorded.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ShimRun,
  THREAD_A,
  THREAD_B,
  callResult,
  cleanEnv,
  cleanupAll,
  eventually,
  fixture,
  initializeRequest,
  initializedNotification,
  pidAlive,
  serverRecords,
  tempDir,
  toolsCall,
  trackPid,
} from './helpers';

const node = process.execPath;
const SERVER = ['--', node, fixture('jsonrpc-server.mjs')];

/** Starts a shim, completes the handshake, returns the first server's pid. */
async function started(run: ShimRun, initLine?: string): Promise<number> {
  if (initLine !== undefined) {
    run.sendRaw(initLine);
  } else {
    run.send(initializeRequest(0));
  }
  const reply = await run.response(0);
  run.send(initializedNotification);
  const pid = Number((reply.result as { serverInfo: { version: string } }).serverInfo.version);
  trackPid(pid);
  return pid;
}

function responsesTo(run: ShimRun, id: unknown): number {
  return run.messages.filter((m) => m.id === id && m.method === undefined).length;
}

function inputOf(records: string, pid: number): string[] {
  return fs.readFileSync(path.join(records, `${pid}.in`), 'utf8').split('\n').slice(0, -1);
}

describe('per-call thread check (dist/shim.js)', function () {
  this.timeout(30_000);
  afterEach(cleanupAll);

  it('restarts the server with the call\'s thread, replays the handshake byte for byte, answers each request once', async () => {
    const records = tempDir();
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_RECORD_DIR: records, FIXTURE_NOTIFY_BEFORE_INIT_REPLY: '1' }));
    // Spacing no serializer would produce: the replay must be the client's bytes, not a re-encoding.
    const initLine = '{ "jsonrpc":"2.0",  "id":0, "method":"initialize", "params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"codex-mcp-client","version":"0.169.0"}} }\n';
    const oldPid = await started(run, initLine);
    run.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await run.response(1);

    run.send(toolsCall(2, 'whoami', THREAD_B));
    run.send({ jsonrpc: '2.0', id: 3, method: 'tools/list' });
    const answer = callResult(await run.response(2));
    assert.equal(answer.threadId, THREAD_B);
    assert.equal(answer.sessionId, THREAD_B);
    const newPid = answer.pid as number;
    trackPid(newPid);
    assert.notEqual(newPid, oldPid);
    assert.equal(((await run.response(3)).result as { pid: number }).pid, newPid, 'later requests go to the new server');

    assert.equal(responsesTo(run, 0), 1, 'the client sees exactly one initialize reply');
    assert.equal(responsesTo(run, 1), 1);
    assert.equal(responsesTo(run, 2), 1);
    assert.equal(responsesTo(run, 3), 1);
    // Both servers' notifications reach the client; only the replayed initialize's reply is held back.
    assert.equal(run.messages.filter((m) => m.method === 'notifications/message').length, 2);

    assert.deepEqual(inputOf(records, newPid).slice(0, 3), [initLine.trimEnd(), JSON.stringify(initializedNotification), JSON.stringify(toolsCall(2, 'whoami', THREAD_B))]);
    await eventually(() => !pidAlive(oldPid), 'the replaced server to be stopped');
    const threads = serverRecords(records).map((r) => [r.pid, r.CODEX_THREAD_ID]);
    assert.deepEqual(threads.sort(), [[oldPid, THREAD_A], [newPid, THREAD_B]].sort());

    run.endInput();
    assert.deepEqual(await run.exited, { code: 0, signal: null });
  });

  it('checks a call that arrives in many pieces: for its own thread it passes as sent, for another it restarts', async () => {
    const records = tempDir();
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_RECORD_DIR: records }));
    const oldPid = await started(run);
    // Far larger than a pipe read, with the thread id in the arguments too, and _meta at the end.
    const big = (id: number, thread: string): Record<string, unknown> => toolsCall(id, 'whoami', thread, { blob: 'x'.repeat(700_000), threadId: thread });
    run.send(big(1, THREAD_A));
    assert.equal(callResult(await run.response(1)).pid, oldPid);
    assert.equal(inputOf(records, oldPid)[2], JSON.stringify(big(1, THREAD_A)), 'the call reached the server byte for byte');

    run.send(big(2, THREAD_B));
    const answer = callResult(await run.response(2));
    assert.equal(answer.threadId, THREAD_B);
    const newPid = answer.pid as number;
    trackPid(newPid);
    assert.notEqual(newPid, oldPid);
    assert.equal(inputOf(records, newPid)[2], JSON.stringify(big(2, THREAD_B)));
    assert.equal(responsesTo(run, 1), 1);
    assert.equal(responsesTo(run, 2), 1);
    run.endInput();
    assert.deepEqual(await run.exited, { code: 0, signal: null });
  });

  it('lets the old server finish the requests it already has, and routes its questions and their answers to it', async () => {
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A }));
    const oldPid = await started(run);
    // In flight on the old server when the mismatch arrives: a slow call, and one that asks the
    // client something (roots/list) before it can answer.
    run.send(toolsCall(1, 'sleep', THREAD_A, { ms: 400 }));
    run.send(toolsCall(2, 'ask', THREAD_A));
    const question = await run.message((m) => m.method === 'roots/list', 'the old server to ask the client');

    run.send(toolsCall(3, 'whoami', THREAD_B));
    const third = callResult(await run.response(3));
    assert.equal(third.threadId, THREAD_B);
    trackPid(third.pid as number);
    assert.ok(pidAlive(oldPid), 'the old server is kept while it owes answers');

    // A large answer (many pipe chunks) takes the path that never joins a line: still routed by id.
    const roots = { roots: [{ uri: 'file:///w', name: 'w'.repeat(200_000) }] };
    run.send({ jsonrpc: '2.0', id: question.id, result: roots });
    const second = callResult(await run.response(2));
    assert.deepEqual([second.pid, second.threadId], [oldPid, THREAD_A]);
    assert.deepEqual(second.answer, roots);
    const first = callResult(await run.response(1));
    assert.deepEqual([first.pid, first.threadId], [oldPid, THREAD_A]);

    await eventually(() => !pidAlive(oldPid), 'the old server to be stopped once it owes nothing');
    for (const id of [0, 1, 2, 3]) {
      assert.equal(responsesTo(run, id), 1, `one response to ${id}`);
    }
  });

  it('routes a cancellation to the old server and stops it once it owes nothing', async () => {
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A }));
    const oldPid = await started(run);
    run.send(toolsCall(1, 'sleep', THREAD_A, { ms: 60_000 }));
    run.send(toolsCall(2, 'whoami', THREAD_B));
    trackPid(callResult(await run.response(2)).pid as number);
    assert.ok(pidAlive(oldPid));
    run.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'timeout' } });
    await eventually(() => !pidAlive(oldPid), 'the old server to be stopped after the cancellation', 10_000);
    assert.equal(responsesTo(run, 1), 0);
  });

  it('restarts a server that started without a thread when the first call names one', async () => {
    const records = tempDir();
    const run = ShimRun.start(SERVER, cleanEnv({ FIXTURE_RECORD_DIR: records }));
    await started(run);
    run.send(toolsCall(1, 'whoami', THREAD_B));
    const answer = callResult(await run.response(1));
    assert.equal(answer.threadId, THREAD_B);
    trackPid(answer.pid as number);
    run.send(toolsCall(2, 'whoami', THREAD_B));
    assert.equal(callResult(await run.response(2)).pid, answer.pid, 'no second restart for the same thread');
    assert.equal(serverRecords(records).length, 2);
  });

  it('keep: the server stays, the call is answered by it, the mismatch is logged once', async () => {
    const records = tempDir();
    const run = ShimRun.start(['--on-mismatch', 'keep', ...SERVER], cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_RECORD_DIR: records }));
    const pid = await started(run);
    run.send(toolsCall(1, 'whoami', THREAD_B));
    run.send(toolsCall(2, 'whoami', THREAD_B));
    const [one, two] = [callResult(await run.response(1)), callResult(await run.response(2))];
    assert.deepEqual([one.pid, one.threadId, two.pid], [pid, THREAD_A, pid]);
    assert.equal(serverRecords(records).length, 1);
    assert.equal(run.stderr.match(/kept \(--on-mismatch keep\)/g)?.length, 1, run.stderr);
    run.endInput();
    assert.equal((await run.exited).code, 0);
  });

  it('keeps the old server when the new one cannot start, and does not retry for that thread', async () => {
    const records = tempDir();
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_RECORD_DIR: records, FIXTURE_FAIL_THREAD: THREAD_B }));
    const pid = await started(run);
    run.send(toolsCall(1, 'whoami', THREAD_B));
    const answer = callResult(await run.response(1));
    assert.deepEqual([answer.pid, answer.threadId], [pid, THREAD_A]);
    assert.match(run.stderr, /cannot restart the server for thread 01a20dd4-0000-7000-8000-000000000002: it exited \(status 1\) before answering initialize/);
    assert.match(run.stderr, /refusing thread/, "the failed server's stderr is relayed");
    run.send(toolsCall(2, 'whoami', THREAD_B));
    assert.equal(callResult(await run.response(2)).pid, pid);
    assert.equal(serverRecords(records).length, 2, 'one failed attempt, no retry');
    assert.equal(responsesTo(run, 0), 1);
  });

  it('ignores calls without a thread id and ids that are not UUIDs', async () => {
    const records = tempDir();
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_RECORD_DIR: records }));
    const pid = await started(run);
    run.send(toolsCall(1, 'whoami'));
    run.send(toolsCall(2, 'whoami', '../../not-a-uuid'));
    assert.equal(callResult(await run.response(1)).pid, pid);
    assert.equal(callResult(await run.response(2)).pid, pid);
    assert.match(run.stderr, /not a UUID/);
    assert.equal(serverRecords(records).length, 1);
  });
});
