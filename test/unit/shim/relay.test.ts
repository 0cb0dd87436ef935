// The relay through the real dist/shim.js: bytes in = bytes out, both ways, at any size and speed,
// with memory bounded by back-pressure rather than by the traffic.

import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ShimRun, cleanEnv, cleanupAll, fixture, rssBytes, skipUnlessLinux, THREAD_A } from './helpers';

const MB = 1024 * 1024;

/** Writes `data` to the shim's stdin honouring its back-pressure, then closes it. */
async function feed(run: ShimRun, data: Buffer, piece = 256 * 1024): Promise<void> {
  const stdin = run.child.stdin!;
  for (let i = 0; i < data.length; i += piece) {
    if (!stdin.write(data.subarray(i, Math.min(data.length, i + piece)))) {
      await new Promise((r) => stdin.once('drain', r));
    }
  }
  stdin.end();
}

describe('shim relay (dist/shim.js)', function () {
  this.timeout(60_000);
  afterEach(cleanupAll);

  it('passes non-JSON lines, invalid UTF-8, CRLF, empty lines and a last line without newline byte for byte', async () => {
    const data = Buffer.concat([
      Buffer.from('plain text\n\n'),
      Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]), // not UTF-8, with a NUL
      Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"threadId":"nope"}}}\r\n'),
      Buffer.from('{"half": "\xc3\n'),
      Buffer.from('{"jsonrpc":"2.0","method":"x"}\n[1,2,\n'),
      randomBytes(100_000),
      Buffer.from('\nno newline at the end'),
    ]);
    const run = ShimRun.start(['--', process.execPath, fixture('raw-echo.mjs')], cleanEnv());
    await feed(run, data, 777);
    const exit = await run.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(run.stdoutBytes().equals(data), 'output differs from input');
  });

  it('relays a 10 MB message each way, and a burst of 20,000 small ones, unchanged and in order', async () => {
    const big = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { blob: 'z'.repeat(10 * MB) }, _meta: { threadId: THREAD_A } } }) + '\n');
    const burst = Buffer.from(Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i + 2, method: 'ping' }) + '\n').join(''));
    const data = Buffer.concat([big, burst, big]);
    const run = ShimRun.start(['--', process.execPath, fixture('raw-echo.mjs')], cleanEnv({ CODEX_THREAD_ID: THREAD_A }));
    await feed(run, data, 4 * MB);
    await run.exited;
    assert.equal(run.stdoutLength, data.length);
    assert.ok(run.stdoutBytes().equals(data));
    assert.equal(run.messages.length, 20_002);
    assert.doesNotMatch(run.stderr, /Warning|Error/);
  });

  it('streams a 100 MB line both ways: the bytes come back before its newline is sent, RSS stays under 100 MB', async function () {
    skipUnlessLinux(this);
    // raw-echo sends back what it reads: what the client receives has passed the shim twice.
    const run = new ShimRun(['--', process.execPath, fixture('raw-echo.mjs')], { env: cleanEnv({ CODEX_THREAD_ID: THREAD_A }), collect: false });
    let received = 0;
    let peak = 0;
    const arrived = new Set<() => void>();
    run.child.stdout!.on('data', (chunk: Buffer) => {
      received += chunk.length;
      arrived.forEach((f) => f());
    });
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(run.pid) ?? 0)), 5);
    const untilReceived = (n: number): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (received >= n) {
            arrived.delete(check);
            resolve();
          }
        };
        arrived.add(check);
        check();
      });
    try {
      const stdin = run.child.stdin!;
      const head = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"blob":"');
      stdin.write(head);
      const piece = Buffer.alloc(MB, 0x61);
      const total = 100;
      for (let i = 0; i < total; i++) {
        if (!stdin.write(piece)) {
          await new Promise((r) => stdin.once('drain', r));
        }
      }
      await untilReceived(total * MB);
      assert.ok(received >= total * MB, 'the line came back before its end was sent');
      stdin.end(`"},"_meta":{"threadId":"${THREAD_A}"}}}\n`);
      await run.exited;
    } finally {
      clearInterval(sampler);
    }
    assert.ok(peak > 0, 'RSS was measured');
    assert.ok(peak < 100 * MB, `shim RSS peaked at ${(peak / MB).toFixed(1)} MB`);
    if (process.env.SHIM_TEST_VERBOSE) console.log(`peak ${(peak / MB).toFixed(1)} MB`);
  });

  it('stays bounded when the client reads slowly (server floods 120 MB)', async function () {
    skipUnlessLinux(this);
    const lines = 120;
    const env = cleanEnv({ FLOOD_LINES: String(lines), FLOOD_LINE_BYTES: String(MB) });
    const run = new ShimRun(['--', process.execPath, fixture('flood.mjs')], { env, collect: false });
    let received = 0;
    let peak = 0;
    const out = run.child.stdout!;
    // A slow reader: after each chunk, wait a little before taking the next one.
    out.on('data', (chunk: Buffer) => {
      received += chunk.length;
      peak = Math.max(peak, rssBytes(run.pid) ?? 0);
      out.pause();
      setTimeout(() => out.resume(), 1);
    });
    await run.exited;
    await new Promise((r) => (out.readableEnded ? r(undefined) : out.once('end', r)));
    assert.equal(received, lines * MB);
    // Unbounded buffering would hold most of the 120 MB; with back-pressure the shim holds a chunk.
    assert.ok(peak > 0, 'RSS was measured');
    assert.ok(peak < 90 * MB, `shim RSS peaked at ${(peak / MB).toFixed(1)} MB`);
    if (process.env.SHIM_TEST_VERBOSE) console.log(`peak ${(peak / MB).toFixed(1)} MB`);
  });

  it('stays bounded when the server reads slowly (client sends 120 MB)', async function () {
    skipUnlessLinux(this);
    const env = cleanEnv({ SLOW_PAUSE_MS: '1' });
    const run = ShimRun.start(['--', process.execPath, fixture('slow-sink.mjs')], env);
    // JSON notifications, so that each 1 MB line goes out as the pieces it came in (never joined).
    const line = Buffer.alloc(MB, 0x61);
    line.write('{"jsonrpc":"2.0","method":"test/blob","params":"');
    line.write('"}\n', MB - 3);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(run.pid) ?? 0)), 5);
    try {
      const stdin = run.child.stdin!;
      for (let i = 0; i < 120; i++) {
        if (!stdin.write(line)) {
          await new Promise((r) => stdin.once('drain', r));
        }
        peak = Math.max(peak, rssBytes(run.pid) ?? 0);
      }
      stdin.end();
      const done = await run.message((m) => m.method === 'test/read', 'the byte count');
      assert.equal((done.params as { bytes: number }).bytes, 120 * MB);
      assert.doesNotMatch(run.stderr, /Warning|Error/, 'e.g. one drain listener per write');
    } finally {
      clearInterval(sampler);
    }
    assert.ok(peak > 0, 'RSS was measured');
    assert.ok(peak < 90 * MB, `shim RSS peaked at ${(peak / MB).toFixed(1)} MB`);
    if (process.env.SHIM_TEST_VERBOSE) console.log(`peak ${(peak / MB).toFixed(1)} MB`);
  });
});
