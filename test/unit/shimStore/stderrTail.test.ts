import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StderrTail } from '../../../src/shim/stderrTail';

describe('StderrTail (one stderr log per thread and server)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-tail-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('two shims of one server for one thread append to one file without overwriting each other', async () => {
    const file = path.join(dir, 'logs', 'x.probe.stderr.log');
    const errors: string[] = [];
    const a = new StderrTail(file, (m) => errors.push(m), 4096);
    const b = new StderrTail(file, (m) => errors.push(m), 4096);
    for (let i = 0; i < 20; i++) {
      a.write(Buffer.from(`a ${i}\n`));
      b.write(Buffer.from(`b ${i}\n`));
      await new Promise((r) => setTimeout(r, 20)); // let the timed flushes interleave
    }
    a.flushSync();
    b.flushSync();
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(lines.filter((l) => l.startsWith('a ')), Array.from({ length: 20 }, (_, i) => `a ${i}`));
    assert.deepEqual(lines.filter((l) => l.startsWith('b ')), Array.from({ length: 20 }, (_, i) => `b ${i}`));
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['x.probe.stderr.log'], 'no temp files');
    assert.deepEqual(errors, []);
  });

  it('a later shim keeps what an earlier one left, and the file is cut to the last `limit` bytes at exit', () => {
    const file = path.join(dir, 'x.log');
    const first = new StderrTail(file, () => undefined, 100);
    first.write(Buffer.from('first run\n'));
    first.flushSync();
    const second = new StderrTail(file, () => undefined, 100);
    second.write(Buffer.from('second run\n'));
    second.flushSync();
    assert.equal(fs.readFileSync(file, 'utf8'), 'first run\nsecond run\n');
    const third = new StderrTail(file, () => undefined, 100);
    third.write(Buffer.from('y'.repeat(150)));
    third.flushSync();
    assert.equal(fs.readFileSync(file, 'utf8'), 'y'.repeat(100));
  });
});
