// The per-call check: a tools/call whose _meta.threadId differs from the server's thread.
// restart: the old server answers what it owes and stops, then a new server with the right id gets
// the recorded state replayed and the held call; every request is answered once. keep: the server
// stays, the mismatch is only recorded.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
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

  it('holds the call until the old server has answered what it owes, with its questions answered meanwhile; then swaps', async () => {
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A }));
    const oldPid = await started(run);
    // In flight on the old server when the mismatch arrives: a slow call, and one that asks the
    // client something (roots/list) before it can answer.
    run.send(toolsCall(1, 'sleep', THREAD_A, { ms: 400 }));
    run.send(toolsCall(2, 'ask', THREAD_A));
    const question = await run.message((m) => m.method === 'roots/list', 'the old server to ask the client');
    run.send(toolsCall(3, 'whoami', THREAD_B));
    run.send({ jsonrpc: '2.0', id: 4, method: 'tools/list' }); // held behind the call
    // The client's answer passes the hold (as a large message, in many pipe chunks).
    const roots = { roots: [{ uri: 'file:///w', name: 'w'.repeat(200_000) }] };
    run.send({ jsonrpc: '2.0', id: question.id, result: roots });

    const second = callResult(await run.response(2));
    assert.deepEqual([second.pid, second.threadId], [oldPid, THREAD_A]);
    assert.deepEqual(second.answer, roots);
    const first = callResult(await run.response(1));
    assert.deepEqual([first.pid, first.threadId], [oldPid, THREAD_A]);
    const third = callResult(await run.response(3));
    assert.equal(third.threadId, THREAD_B);
    trackPid(third.pid as number);
    assert.equal(((await run.response(4)).result as { pid: number }).pid, third.pid, 'the held request went to the new server');
    const order = run.messages.filter((m) => m.method === undefined).map((m) => m.id);
    assert.ok(order.indexOf(3) > order.indexOf(1) && order.indexOf(3) > order.indexOf(2), `the call is answered after the old server's answers: ${JSON.stringify(order)}`);
    assert.ok(!pidAlive(oldPid), 'the old server was gone before the new one answered');
    for (const id of [0, 1, 2, 3, 4]) {
      assert.equal(responsesTo(run, id), 1, `one response to ${id}`);
    }
  });

  it('never runs two servers at once: a server holding an exclusive port restarts for the new thread', async () => {
    const port = await freePort();
    const records = tempDir();
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_EXCLUSIVE_PORT: String(port), FIXTURE_RECORD_DIR: records }));
    const oldPid = await started(run);
    run.send(toolsCall(1, 'whoami', THREAD_B));
    const answer = callResult(await run.response(1));
    trackPid(answer.pid as number);
    assert.deepEqual([answer.threadId, pidAlive(oldPid)], [THREAD_B, false]);
    assert.doesNotMatch(run.stderr, /is taken/);
    assert.equal(serverRecords(records).length, 2);
    run.endInput();
    assert.deepEqual(await run.exited, { code: 0, signal: null });
  });

  it('replays the state-setting requests in order to the new server and hides their answers', async () => {
    const records = tempDir();
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_RECORD_DIR: records }));
    await started(run);
    const sent = [
      { jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'debug' } },
      { jsonrpc: '2.0', id: 2, method: 'resources/subscribe', params: { uri: 'file:///a' } },
      { jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri: 'file:///b' } },
      { jsonrpc: '2.0', id: 4, method: 'tools/list' },
      { jsonrpc: '2.0', id: 5, method: 'resources/unsubscribe', params: { uri: 'file:///a' } },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
      { jsonrpc: '2.0', id: 6, method: 'logging/setLevel', params: { level: 'warning' } },
      { jsonrpc: '2.0', id: 7, method: 'vendor/setProject', params: { project: 'p' } },
    ];
    for (const m of sent) {
      run.send(m);
    }
    await run.response(7);
    run.send(toolsCall(8, 'whoami', THREAD_B));
    const answer = callResult(await run.response(8));
    trackPid(answer.pid as number);
    const replayed = inputOf(records, answer.pid as number);
    assert.deepEqual(replayed, [
      JSON.stringify(initializeRequest(0)),
      JSON.stringify(initializedNotification),
      JSON.stringify(sent[2]),
      JSON.stringify(sent[5]),
      JSON.stringify(sent[6]),
      JSON.stringify(sent[7]),
      JSON.stringify(toolsCall(8, 'whoami', THREAD_B)),
    ]);
    for (const id of [0, 1, 2, 3, 4, 5, 6, 7, 8]) {
      assert.equal(responsesTo(run, id), 1, `one response to ${id}`);
    }
  });

  it('lets a cancellation through to the old server, which then owes nothing and is swapped at once', async () => {
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A }));
    const oldPid = await started(run);
    run.send(toolsCall(1, 'sleep', THREAD_A, { ms: 60_000 }));
    run.send(toolsCall(2, 'whoami', THREAD_B));
    run.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'timeout' } });
    const answer = callResult(await run.response(2, 10_000));
    trackPid(answer.pid as number);
    assert.equal(answer.threadId, THREAD_B);
    assert.ok(!pidAlive(oldPid));
    assert.equal(responsesTo(run, 1), 0, 'a cancelled request gets no answer');
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

  it('answers the held requests with an error when the new server cannot start, says why, and exits with its status', async () => {
    const records = tempDir();
    const run = ShimRun.start(SERVER, cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_RECORD_DIR: records, FIXTURE_FAIL_THREAD: THREAD_B }));
    const pid = await started(run);
    run.send(toolsCall(1, 'whoami', THREAD_B));
    run.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    for (const id of [1, 2]) {
      const error = (await run.response(id)).error as { code: number; message: string };
      assert.match(error.message, /could not be restarted for Codex thread 01a20dd4-0000-7000-8000-000000000002/);
    }
    assert.deepEqual(await run.exited, { code: 1, signal: null });
    assert.match(run.stderr, /cannot restart the server for thread 01a20dd4-0000-7000-8000-000000000002: it exited \(status 1\) before answering/);
    assert.match(run.stderr, /refusing thread/, "the failed server's stderr is relayed");
    assert.equal(serverRecords(records).length, 2);
    assert.ok(!pidAlive(pid));
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
