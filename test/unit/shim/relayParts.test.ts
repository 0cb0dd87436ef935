// The relay's parts in-process: framing, coalescing, and the line-atomic merge of two servers.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { CoalescingWriter, LineAssembler, OutputMux, PEEK_BYTES, headAndTail } from '../../../src/shim/relay';
import { StderrTail } from '../../../src/shim/stderrTail';
import { cleanupAll, tempDir } from './helpers';

function lines(chunks: Buffer[]): Buffer[] {
  const a = new LineAssembler();
  const out: Buffer[] = [];
  for (const c of chunks) {
    a.push(c, (b, s, e) => out.push(Buffer.from(b.subarray(s, e))));
  }
  a.end((b, s, e) => out.push(Buffer.from(b.subarray(s, e))));
  return out;
}

/** A destination that accepts `capacity` bytes, then reports back-pressure until drained. */
class SlowDest extends Writable {
  readonly got: Buffer[] = [];
  constructor() {
    super({ highWaterMark: 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.got.push(chunk);
    setImmediate(cb);
  }
  text(): string {
    return Buffer.concat(this.got).toString();
  }
}

describe('relay parts', () => {
  afterEach(cleanupAll);

  it('LineAssembler gives whole lines whatever the chunking, and the unterminated rest at the end', () => {
    const text = 'a\nbb\n\nccc\r\nlast';
    const expected = ['a\n', 'bb\n', '\n', 'ccc\r\n', 'last'];
    for (let size = 1; size <= text.length; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < text.length; i += size) {
        chunks.push(Buffer.from(text.slice(i, i + size)));
      }
      assert.deepEqual(lines(chunks).map(String), expected, `chunk size ${size}`);
    }
  });

  it('LineAssembler hands a long line over as its pieces when asked, and headAndTail copies its ends', () => {
    const a = new LineAssembler();
    const got: [string, number][] = [];
    const onLine = (_b: Buffer, s: number, e: number): void => void got.push(['line', e - s]);
    const onPieces = (pieces: Buffer[], length: number): void => {
      got.push(['pieces', length]);
      assert.equal(Buffer.concat(pieces).toString(), 'abcdefgh\n');
      const { head, tail } = headAndTail(pieces, 3);
      assert.deepEqual([head.toString(), tail.toString()], ['abc', 'h\n'.padStart(3, 'g')]);
    };
    a.push(Buffer.from('x\nabc'), onLine, onPieces);
    a.push(Buffer.from('def'), onLine, onPieces);
    a.push(Buffer.from('gh\ny\n'), onLine, onPieces);
    assert.deepEqual(got, [['line', 2], ['pieces', 9], ['line', 2]]);
  });

  it('CoalescingWriter turns adjacent ranges of one buffer into one write', () => {
    const writes: string[] = [];
    const w = new CoalescingWriter((d) => writes.push(d.toString()));
    const a = Buffer.from('one\ntwo\nthree\n');
    w.add(a, 0, 4);
    w.add(a, 4, 8);
    w.add(a, 9, 14); // a gap: a new write
    const b = Buffer.from('x\n');
    w.add(b, 0, 2);
    w.flush();
    assert.deepEqual(writes, ['one\ntwo\n', 'hree\n', 'x\n']);
  });

  it('OutputMux never interleaves two sources inside a line, and tells the observer every line', async () => {
    const dest = new SlowDest();
    const mux = new OutputMux(dest);
    const a = new PassThrough();
    const b = new PassThrough();
    const seen: string[] = [];
    const observe = (h: Buffer, hs: number, he: number, t: Buffer, _ts: number, te: number, whole: boolean): boolean => {
      seen.push(whole ? h.toString('utf8', hs, he) : `${h.toString('utf8', hs, Math.min(he, hs + 3))}…${t.toString('utf8', te - 2, te)}`);
      return true;
    };
    const sa = mux.addSource(a, observe, false);
    const sb = mux.addSource(b, observe, false);
    const longA = 'A'.repeat(3 * PEEK_BYTES) + '\n';
    // A starts a long line; B's whole lines must wait until A's line is complete.
    a.write(longA.slice(0, 100));
    b.write('b1\nb2\n');
    a.write(longA.slice(100, 2000));
    b.write('b3\n');
    a.write(longA.slice(2000) + 'a2\n');
    a.end();
    b.end();
    await Promise.all([new Promise<void>((r) => sa.onceEnded(r)), new Promise<void>((r) => sb.onceEnded(r))]);
    await mux.whenFlushed();
    const out = dest.text().split('\n').slice(0, -1);
    assert.deepEqual(out.sort(), [longA.trimEnd(), 'a2', 'b1', 'b2', 'b3'].sort());
    assert.ok(seen.includes('AAA…A\n'), JSON.stringify(seen));
    assert.equal(seen.length, 5);
  });

  it('OutputMux drops what the observer rejects in whole-line mode, and ends a dead source\'s broken line', async () => {
    const dest = new SlowDest();
    const mux = new OutputMux(dest);
    const held = new PassThrough();
    const streaming = new PassThrough();
    mux.addSource(held, (h, hs, he) => !h.toString('utf8', hs, he).startsWith('drop'), true);
    const s2 = mux.addSource(streaming, () => true, false);
    held.write('keep 1\ndro');
    held.write('p me\nkeep 2\n');
    streaming.write('partial line of a server that dies');
    streaming.end();
    await new Promise<void>((r) => s2.onceEnded(r));
    held.end();
    await mux.whenFlushed();
    const text = dest.text();
    assert.ok(!text.includes('drop me'));
    assert.ok(text.includes('partial line of a server that dies\n'), 'the broken line is closed so the next one is intact');
    assert.ok(text.includes('keep 1\n') && text.includes('keep 2\n'));
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
