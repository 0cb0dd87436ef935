// The relay's parts in-process: the line classifier, the bounded line splitter, the state log,
// the stderr tail, and how a server is started and ended on Windows (built on Linux).

import * as assert from 'node:assert/strict';
import type * as ChildProcessModule from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadOfCall } from '../../../src/shim/callThread';
import { LineSplitter } from '../../../src/shim/lineSplitter';
import { END_BYTES, classifyEnds, classifyLine, idFromKey, idKey, type Message } from '../../../src/shim/messageClass';
import { killTreeCommand } from '../../../src/shim/serverProcess';
import { StateLog } from '../../../src/shim/stateLog';
import { StderrTail } from '../../../src/shim/stderrTail';
import { THREAD_A, THREAD_B, cleanupAll, tempDir } from './helpers';

const line = (text: string): Buffer => Buffer.from(text + '\n');
const envelope = (m: Message): Partial<Message> => ({ kind: m.kind, id: m.id, method: m.method, isError: m.isError });

/** Runs a splitter over `chunks`; long lines are joined back for comparison. */
function split(chunks: Buffer[], bound: number): { lines: string[]; longs: { head: number; text: string; tail: string }[] } {
  const lines: string[] = [];
  const longs: { head: number; text: string; tail: string }[] = [];
  let parts: Buffer[] = [];
  let head = 0;
  const s = new LineSplitter(
    {
      line: (b) => (lines.push(b.toString()), true),
      longStart: (h) => ((head = h.length), (parts = []), true),
      longPiece: (p) => void parts.push(Buffer.from(p)),
      longEnd: (t) => void longs.push({ head, text: Buffer.concat(parts).toString(), tail: t.toString() }),
    },
    bound,
  );
  for (const c of chunks) {
    assert.equal(s.push(c), true);
  }
  s.end();
  return { lines, longs };
}

describe('relay parts', () => {
  afterEach(cleanupAll);

  describe('messageClass', () => {
    it('classifies requests, notifications, responses, batches and non-JSON lines', () => {
      assert.deepEqual(envelope(classifyLine(line('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{}}'))), { kind: 'request', id: 'n:7', method: 'tools/call', isError: undefined });
      assert.deepEqual(envelope(classifyLine(line('{"method":"notifications/initialized","jsonrpc":"2.0"}'))), { kind: 'notification', id: undefined, method: 'notifications/initialized', isError: undefined });
      assert.deepEqual(envelope(classifyLine(line('{"result":{},"jsonrpc":"2.0","id":"7"}'))), { kind: 'response', id: 's:7', method: undefined, isError: false });
      assert.deepEqual(envelope(classifyLine(line('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}'))), { kind: 'response', id: 'null', method: undefined, isError: true });
      const batch = classifyLine(line('[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"}]'));
      assert.deepEqual([batch.kind, batch.members?.map((m) => m.kind)], ['batch', ['request', 'notification']]);
      for (const other of ['plain text', '', '{"half":', '7', '{"jsonrpc":"2.0","id":{"x":1}}']) {
        assert.equal(classifyLine(line(other)).kind, 'other', other);
      }
      assert.deepEqual([idKey(1.0), idKey('1'), idKey(null), idKey({}), idFromKey('n:1'), idFromKey('s:1'), idFromKey('null')], ['n:1', 's:1', 'null', undefined, 1, '1', null]);
    });

    it('decodes escaped keys in the raw bytes, in whole lines and in the ends of long ones', () => {
      // String.raw: the bytes on the wire hold a backslash escape, not the plain key.
      const call = String.raw`{"jsonrpc":"2.0","\u0069d":3,"m\u0065thod":"tools/call","params":{"\u005fmeta":{"thread\u0049d":"${THREAD_A}"}}}`;
      assert.ok(call.includes('\\u0049d'), 'the test line really carries an escaped key');
      const m = classifyLine(line(call));
      assert.deepEqual(envelope(m), { kind: 'request', id: 'n:3', method: 'tools/call', isError: undefined });
      assert.deepEqual(threadOfCall(m.parsed), { kind: 'id', threadId: THREAD_A });
      const blob = 'x'.repeat(3 * END_BYTES);
      const long = Buffer.from(String.raw`{"jsonrpc":"2.0","result":{"text":"${blob}"},"\u0069d":9}` + '\n');
      assert.deepEqual(envelope(classifyEnds(long.subarray(0, END_BYTES), long.subarray(long.length - END_BYTES))), { kind: 'response', id: 'n:9', method: undefined, isError: false });
    });

    it('reads the envelope of a long line from its ends, whatever the member order', () => {
      const blob = 'y"\\},{'.repeat(2000);
      const cases: [unknown, Partial<Message>][] = [
        [{ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { arguments: { blob } } }, { kind: 'request', id: 'n:5', method: 'tools/call' }],
        [{ result: { blob }, jsonrpc: '2.0', id: 'abc' }, { kind: 'response', id: 's:abc', isError: false }],
        [{ jsonrpc: '2.0', params: { blob, id: 1 }, method: 'notifications/message' }, { kind: 'notification', method: 'notifications/message' }],
        [{ jsonrpc: '2.0', error: { code: 1, message: blob }, id: 4 }, { kind: 'response', id: 'n:4', isError: true }],
        [{ jsonrpc: '2.0', result: { text: `ends with ,"id":99}` }, id: 6 }, { kind: 'response', id: 'n:6', isError: false }],
      ];
      for (const [value, want] of cases) {
        const bytes = Buffer.from(JSON.stringify(value) + '\n');
        const got = envelope(classifyEnds(bytes.subarray(0, END_BYTES), bytes.subarray(Math.max(0, bytes.length - END_BYTES))));
        assert.deepEqual(got, { kind: undefined, id: undefined, method: undefined, isError: undefined, ...want }, JSON.stringify(value).slice(0, 80));
        assert.deepEqual(got, envelope(classifyLine(bytes)), 'the ends agree with JSON.parse');
      }
    });

    it('reads the thread of a call from _meta.threadId, else x-codex-turn-metadata.thread_id', () => {
      const call = (meta: unknown, args: unknown = {}): unknown => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: args, _meta: meta } });
      assert.deepEqual(threadOfCall(call({ threadId: THREAD_A.toUpperCase() }, { threadId: THREAD_B })), { kind: 'id', threadId: THREAD_A });
      assert.deepEqual(threadOfCall(call({ 'x-codex-turn-metadata': { session_id: THREAD_B, thread_id: THREAD_A } })), { kind: 'id', threadId: THREAD_A });
      assert.deepEqual(threadOfCall(call(undefined, { _meta: { threadId: THREAD_A } })), { kind: 'none' });
      assert.deepEqual(threadOfCall(call({ threadId: 'abc' })), { kind: 'invalid', value: 'abc' });
      assert.deepEqual(threadOfCall(call({ threadId: 7 })), { kind: 'invalid', value: '7' });
      assert.deepEqual(threadOfCall(call({ threadId: null })), { kind: 'none' });
      // Duplicate keys: the last one counts, as for JSON.parse everywhere else.
      const dup = classifyLine(line(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"threadId":"${THREAD_A}","threadId":"${THREAD_B}"}}}`));
      assert.deepEqual(threadOfCall(dup.parsed), { kind: 'id', threadId: THREAD_B });
    });
  });

  describe('LineSplitter', () => {
    it('gives whole lines whatever the chunking, and an unterminated last line at the end', () => {
      const text = 'a\n\nbb\r\nccc\nlast';
      for (const size of [1, 2, 3, 5, 100]) {
        const chunks: Buffer[] = [];
        for (let i = 0; i < text.length; i += size) {
          chunks.push(Buffer.from(text.slice(i, i + size)));
        }
        assert.deepEqual(split(chunks, 1000).lines, ['a\n', '\n', 'bb\r\n', 'ccc\n', 'last']);
      }
    });

    it('streams a line longer than the bound: a copy of its head, its bytes as they come, a copy of its tail', () => {
      const long = 'L'.repeat(5000) + 'end\n';
      const chunks = [Buffer.from('short\n' + long.slice(0, 700)), Buffer.from(long.slice(700, 3000)), Buffer.from(long.slice(3000) + 'next\n')];
      const { lines, longs } = split(chunks, 1000);
      assert.deepEqual(lines, ['short\n', 'next\n']);
      assert.equal(longs.length, 1);
      assert.equal(longs[0].text, long);
      assert.equal(longs[0].head, END_BYTES, 'a copy of its first bytes, to classify it');
      assert.equal(longs[0].tail, long.slice(-END_BYTES));
    });

    it('keeps a refused line and everything after it until resume()', () => {
      const got: string[] = [];
      let open = false;
      const s = new LineSplitter({ line: (b) => (b.toString() === 'held\n' && !open ? false : (got.push(b.toString()), true)), longStart: () => true, longPiece: () => undefined, longEnd: () => undefined }, 100);
      assert.equal(s.push(Buffer.from('one\nhe')), true);
      assert.equal(s.push(Buffer.from('ld\ntwo\n')), false);
      assert.equal(s.push(Buffer.from('three\n')), false);
      assert.equal(s.stalled, true);
      assert.deepEqual(got, ['one\n']);
      open = true;
      assert.equal(s.resume(), true);
      assert.deepEqual(got, ['one\n', 'held\n', 'two\n', 'three\n']);
    });
  });

  describe('StateLog', () => {
    it('keeps the latest state in order: initialize first, setLevel replaced, unsubscribe removes, reads and unknown notifications skipped', () => {
      const log = new StateLog();
      const send = (m: Record<string, unknown>): void => {
        const bytes = line(JSON.stringify({ jsonrpc: '2.0', ...m }));
        assert.equal(log.note(classifyLine(bytes), bytes), true);
      };
      send({ id: 0, method: 'initialize', params: {} });
      send({ method: 'notifications/initialized' });
      send({ id: 1, method: 'logging/setLevel', params: { level: 'debug' } });
      send({ id: 2, method: 'resources/subscribe', params: { uri: 'file:///a' } });
      send({ id: 3, method: 'resources/subscribe', params: { uri: 'file:///b' } });
      send({ id: 4, method: 'tools/list' });
      send({ id: 5, method: 'tools/call', params: { name: 'x' } });
      send({ id: 6, method: 'resources/unsubscribe', params: { uri: 'file:///a' } });
      send({ method: 'notifications/roots/list_changed' });
      send({ id: 7, method: 'logging/setLevel', params: { level: 'error' } });
      send({ id: 8, method: 'vendor/setMode', params: { mode: 'x' } });
      send({ method: 'vendor/ping', params: { n: 1 } }); // an unknown notification: not replayed
      send({ id: 9, method: 'vendor/setMode', params: { mode: 'y' } }); // replaces id 8
      const replayed = log.replay().map((r) => JSON.parse(r.bytes.toString()) as { id?: number; method: string });
      assert.deepEqual(
        replayed.map((m) => `${m.method}${m.id !== undefined ? `#${m.id}` : ''}`),
        ['initialize#0', 'notifications/initialized', 'resources/subscribe#3', 'notifications/roots/list_changed', 'logging/setLevel#7', 'vendor/setMode#9'],
      );
    });
  });

  describe('server processes on Windows (built on Linux)', () => {
    it('ends the whole tree with taskkill /T /F, and only on win32', () => {
      assert.deepEqual(killTreeCommand(4242, 'SIGTERM', 'win32'), { command: 'taskkill', args: ['/pid', '4242', '/T', '/F'] });
      assert.deepEqual(killTreeCommand(4242, 'SIGKILL', 'win32'), { command: 'taskkill', args: ['/pid', '4242', '/T', '/F'] });
      assert.equal(killTreeCommand(4242, 'SIGTERM', 'linux'), undefined);
      assert.equal(killTreeCommand(4242, 'SIGTERM', 'darwin'), undefined);
    });

    it('starts a .cmd server through cmd.exe with %, !, ^ and quotes escaped (cross-spawn, platform win32)', () => {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, 'my-server.CMD'), '@echo off\r\n'); // .CMD: Linux file names are case-sensitive, PATHEXT is upper case
      fs.chmodSync(path.join(dir, 'my-server.CMD'), 0o755);
      const calls: { command: string; args: readonly string[]; options: ChildProcessModule.SpawnOptions }[] = [];
      // The module object itself (not an import binding): cross-spawn calls its `spawn` at run time.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const childProcess = require('child_process') as { spawn: unknown };
      const realPlatform = Object.getOwnPropertyDescriptor(process, 'platform')!;
      const realSpawn = childProcess.spawn;
      // cross-spawn, which and isexe read the platform when they load: load fresh copies as win32.
      const fresh = (): void => {
        for (const key of Object.keys(require.cache)) {
          if (/[\\/]node_modules[\\/](cross-spawn|which|isexe|path-key|shebang-command|shebang-regex)[\\/]/.test(key) || key.endsWith(path.join('shim', 'serverProcess.js'))) {
            delete require.cache[key];
          }
        }
      };
      let spawnServer: typeof import('../../../src/shim/serverProcess').spawnServer;
      try {
        Object.defineProperty(process, 'platform', { ...realPlatform, value: 'win32' });
        childProcess.spawn = (command: string, args: readonly string[], options: ChildProcessModule.SpawnOptions) => {
          calls.push({ command, args, options });
          return { emit: () => true, on: () => undefined };
        };
        fresh();
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        spawnServer = (require('../../../src/shim/serverProcess') as typeof import('../../../src/shim/serverProcess')).spawnServer;
        spawnServer({ command: 'my-server', args: ['100%', 'hi!', 'a^b', 'say "x"', '%PATH%'], env: { PATH: dir, PATHEXT: '.EXE;.CMD' }, stderr: 'pipe' });
      } finally {
        Object.defineProperty(process, 'platform', realPlatform);
        childProcess.spawn = realSpawn;
        fresh();
      }
      assert.equal(calls.length, 1);
      const { command, args, options } = calls[0];
      assert.equal(command, 'cmd.exe');
      assert.deepEqual(args.slice(0, 3), ['/d', '/s', '/c']);
      assert.equal(options.windowsVerbatimArguments, true);
      const line = args[3];
      assert.ok(line.startsWith('"my-server '), line); // cmd.exe finds my-server.CMD through PATHEXT
      // Every cmd.exe meta character is taken literally: escaped with ^, quotes doubled inside.
      for (const escaped of ['^"100^%^"', '^"hi^!^"', '^"a^^b^"', '^"say^ \\^"x\\^"^"', '^"^%PATH^%^"']) {
        assert.ok(line.includes(escaped), `${escaped} in ${line}`);
      }
    });
  });

  it('StderrTail keeps only the last bytes, 0600, and can move to another file', () => {
    const dir = tempDir();
    const errors: string[] = [];
    const tail = new StderrTail(path.join(dir, 'a', 'x.log'), (m) => errors.push(m), 10);
    tail.write(Buffer.from('0123456789'));
    tail.write(Buffer.from('abcdef'));
    assert.equal(tail.contents().toString(), '6789abcdef');
    tail.moveTo(path.join(dir, 'b', 'y.log'));
    tail.flushSync();
    assert.equal(fs.readFileSync(path.join(dir, 'b', 'y.log'), 'utf8'), '6789abcdef');
    assert.equal(fs.statSync(path.join(dir, 'b', 'y.log')).mode & 0o777, 0o600);
    assert.deepEqual(errors, []);
    const badErrors: string[] = [];
    fs.writeFileSync(path.join(dir, 'file'), '');
    const bad = new StderrTail(path.join(dir, 'file', 'x.log'), (m) => badErrors.push(m)); // ENOTDIR
    bad.write(Buffer.from('x'));
    bad.flushSync();
    assert.equal(badErrors.length, 1);
  });
});
