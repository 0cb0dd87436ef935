// What the real server finds in its environment, and what the shim does when it knows no thread.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SHIM_JS, ShimRun, THREAD_A, cleanEnv, cleanupAll, fixture, initializeRequest, serverRecords, tempDir } from './helpers';

const node = process.execPath;

describe('server environment (dist/shim.js)', function () {
  this.timeout(20_000);
  afterEach(cleanupAll);

  it('gives the server CODEX_THREAD_ID and CODEX_SESSION_ID from a resolved thread', async () => {
    const records = tempDir();
    const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ CODEX_THREAD_ID: THREAD_A.toUpperCase(), FIXTURE_RECORD_DIR: records, CODEX_THREAD_CONTEXT: '/elsewhere/other.json' }));
    run.send(initializeRequest(1));
    await run.response(1);
    run.endInput();
    assert.equal((await run.exited).code, 0);
    const [record] = serverRecords(records);
    assert.equal(record.CODEX_THREAD_ID, THREAD_A);
    assert.equal(record.CODEX_SESSION_ID, THREAD_A);
    // A value inherited from elsewhere names another thread's file: it must not leak through.
    assert.notEqual(record.CODEX_THREAD_CONTEXT, '/elsewhere/other.json');
    assert.doesNotMatch(run.stderr, /without CODEX_THREAD_ID|not a thread id/);
  });

  it('starts the server without any thread variable when unresolved, with one line on stderr', async () => {
    const records = tempDir();
    const run = ShimRun.start(['--name', 'notes', '--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_RECORD_DIR: records }));
    run.send(initializeRequest(1));
    await run.response(1);
    run.endInput();
    assert.equal((await run.exited).code, 0);
    const [record] = serverRecords(records);
    assert.deepEqual([record.CODEX_THREAD_ID, record.CODEX_SESSION_ID, record.CODEX_THREAD_CONTEXT], [null, null, null]);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^codex-thread-shim: notes: [^\n]*; starting the server without CODEX_THREAD_ID\n$/);
  });

  it('treats an invalid CODEX_THREAD_ID as unresolved and never passes on an id of its own', async () => {
    const records = tempDir();
    const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ CODEX_THREAD_ID: '../../etc', FIXTURE_RECORD_DIR: records }));
    run.send(initializeRequest(1));
    await run.response(1);
    run.endInput();
    await run.exited;
    assert.match(run.stderr, /not a thread id/);
    const [record] = serverRecords(records);
    assert.equal(record.CODEX_SESSION_ID, null);
    assert.notEqual(record.CODEX_THREAD_ID, THREAD_A);
  });

  it('--if-unresolved fail exits 1 with a message and starts nothing', async () => {
    const records = tempDir();
    const run = ShimRun.start(['--if-unresolved', 'fail', '--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_RECORD_DIR: records }));
    assert.deepEqual(await run.exited, { code: 1, signal: null });
    assert.match(run.stderr, /not starting the server \(--if-unresolved fail\)/);
    assert.equal(run.stdoutLength, 0);
    assert.deepEqual(serverRecords(records), []);
  });

  it('names the server after its config.toml table', async () => {
    const env = cleanEnv();
    fs.writeFileSync(
      path.join(env.CODEX_HOME!, 'config.toml'),
      `[mcp_servers.other]\ncommand = "x"\n\n[mcp_servers."my notes"]\ncommand = ${JSON.stringify(node)}\nargs = [${JSON.stringify(SHIM_JS)}, "--", ${JSON.stringify(node)}, ${JSON.stringify(fixture('exit-with.mjs'))}, "code", "0"]\n`,
    );
    const run = ShimRun.start(['--', node, fixture('exit-with.mjs'), 'code', '0'], env);
    await run.exited;
    assert.match(run.stderr, /^codex-thread-shim: my notes: /);
    const other = ShimRun.start(['--', node, fixture('exit-with.mjs'), 'code', '1'], env);
    await other.exited;
    assert.match(other.stderr, /^codex-thread-shim: node: /);
  });
});
