import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BENCH_README, writeBenchSection } from '../../bench/stats';

describe('bench --write (the section of bench/README.md a bench owns)', () => {
  it('points at this checkout\'s bench/README.md', () => {
    assert.equal(BENCH_README, path.resolve(__dirname, '..', '..', '..', 'bench', 'README.md'));
    assert.ok(fs.readFileSync(BENCH_README, 'utf8').startsWith('# Benchmarks'));
  });

  it('replaces its own section, keeps the others byte for byte, and appends a section that is new', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-section-'));
    try {
      const file = path.join(dir, 'README.md');
      fs.writeFileSync(file, '# Benchmarks\n\n## A\n\nold a\n\n## B\n\nold b\n| x |\n\n## C\n\nold c\n');
      writeBenchSection('B', 'new b\n', file);
      assert.equal(fs.readFileSync(file, 'utf8'), '# Benchmarks\n\n## A\n\nold a\n\n## B\n\nnew b\n\n## C\n\nold c\n');
      writeBenchSection('D', 'new d', file);
      assert.equal(fs.readFileSync(file, 'utf8'), '# Benchmarks\n\n## A\n\nold a\n\n## B\n\nnew b\n\n## C\n\nold c\n\n## D\n\nnew d\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
