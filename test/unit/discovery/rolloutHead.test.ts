import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRolloutHead } from '../../../src/core/discovery/rolloutHead';
import { recordingLogger, removeDir, rolloutLines, sessionMetaLine, tempDir } from './fixtures';

const ID = '01a20df6-e654-7a30-b1da-ec2742e0f55b';

describe('discovery/rolloutHead (real files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  const write = (name: string, content: string | Buffer): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  it('reads metadata and the first user message of a 0.169 rollout (22 KB first line)', () => {
    const file = write('a.jsonl', rolloutLines({ id: ID, cwd: '/src', originator: 'codex-tui', userMessage: 'Refactor the parser' }).join('\n') + '\n');
    const head = readRolloutHead(file, recordingLogger());
    assert.equal(head?.meta?.id, ID);
    assert.equal(head?.meta?.cwd, '/src');
    assert.equal(head?.meta?.originator, 'codex-tui');
    assert.equal(head?.meta?.truncated, false);
    assert.equal(head?.firstUserMessage, 'Refactor the parser');
    assert.equal(head?.size, fs.statSync(file).size);
  });

  it('reads the older event_msg user_message form, and skips injected context', () => {
    const file = write('b.jsonl', rolloutLines({ id: ID, userMessage: 'legacy hello', style: 'legacy' }).join('\n') + '\n');
    assert.equal((readRolloutHead(file, recordingLogger()))?.firstUserMessage, 'legacy hello');
  });

  it('has no title before the first user message is written', () => {
    const file = write('c.jsonl', rolloutLines({ id: ID }).join('\n') + '\n');
    const head = readRolloutHead(file, recordingLogger());
    assert.equal(head?.meta?.id, ID);
    assert.equal(head?.firstUserMessage, undefined);
  });

  it('parses a first line longer than the bound from its prefix', () => {
    const file = write('d.jsonl', rolloutLines({ id: ID, cwd: '/long', instructionsBytes: 300_000, userMessage: 'after a long line' }).join('\n') + '\n');
    const head = readRolloutHead(file, recordingLogger(), { maxMetaBytes: 64 * 1024, maxScanBytes: 1024 * 1024 });
    assert.equal(head?.meta?.cwd, '/long');
    assert.equal(head?.meta?.truncated, true);
    assert.equal(head?.firstUserMessage, 'after a long line');
  });

  it('stops looking for the title at the scan bound', () => {
    const file = write('e.jsonl', rolloutLines({ id: ID, instructionsBytes: 300_000, userMessage: 'too far' }).join('\n') + '\n');
    const head = readRolloutHead(file, recordingLogger(), { maxScanBytes: 128 * 1024 });
    assert.equal(head?.meta?.id, ID);
    assert.equal(head?.firstUserMessage, undefined);
  });

  it('reads an enormous first line (8 GB, sparse) within its bounds, quickly', () => {
    const file = write('huge.jsonl', sessionMetaLine({ id: ID, cwd: '/huge', instructionsBytes: 1000 }).slice(0, 900));
    fs.truncateSync(file, 8 * 1024 ** 3);
    const heapBefore = process.memoryUsage().rss;
    const started = Date.now();
    const head = readRolloutHead(file, recordingLogger());
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.ok(process.memoryUsage().rss - heapBefore < 50 * 1024 * 1024);
    assert.equal(head?.meta?.cwd, '/huge');
    assert.equal(head?.firstUserMessage, undefined);
  });

  it('takes a first line that is still being written (no newline yet)', () => {
    const line = sessionMetaLine({ id: ID, cwd: '/partial' });
    const file = write('f.jsonl', line.slice(0, line.indexOf('"base_instructions"') + 40));
    const head = readRolloutHead(file, recordingLogger());
    assert.equal(head?.meta?.cwd, '/partial');
    assert.equal(head?.meta?.truncated, true);
  });

  it('skips non-JSON, binary, empty and other-record first lines with a debug log', () => {
    for (const [name, content] of [
      ['g1', 'this is not json\n{"type":"session_meta"}\n'],
      ['g2', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a])],
      ['g3', ''],
      ['g4', JSON.stringify({ type: 'response_item', payload: { id: ID } }) + '\n'],
      ['g5', '{"type":"session_meta","payload":{"id":"' + ID + '","cwd":"/x"' + '}'.repeat(3) + '\n'],
    ] as const) {
      const log = recordingLogger();
      const head = readRolloutHead(write(`${name}.jsonl`, content), log);
      assert.ok(head, name);
      assert.equal(head.meta, undefined, name);
      if (content.length > 0) {
        assert.ok(log.lines.some((l) => l.startsWith('debug') && l.includes('not session metadata')), `${name}: ${log.lines.join('; ')}`);
      }
    }
  });

  it('does not follow symlinks', () => {
    const target = write('target.jsonl', rolloutLines({ id: ID }).join('\n') + '\n');
    const link = path.join(dir, 'link.jsonl');
    fs.symlinkSync(target, link);
    const log = recordingLogger();
    assert.equal(readRolloutHead(link, log), undefined);
    assert.ok(log.lines.some((l) => l.includes('cannot open')), log.lines.join('; '));
  });

  it('skips folders, FIFOs (without blocking) and missing or unreadable files', () => {
    const sub = path.join(dir, 'folder.jsonl');
    fs.mkdirSync(sub);
    assert.equal(readRolloutHead(sub, recordingLogger()), undefined);
    assert.equal(readRolloutHead(path.join(dir, 'missing.jsonl'), recordingLogger()), undefined);
    const fifo = path.join(dir, 'fifo.jsonl');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      const log = recordingLogger();
      assert.equal(readRolloutHead(fifo, log), undefined);
      assert.ok(log.lines.some((l) => l.includes('not a regular file')), log.lines.join('; '));
    }
    const locked = write('locked.jsonl', rolloutLines({ id: ID }).join('\n') + '\n');
    fs.chmodSync(locked, 0);
    const head = readRolloutHead(locked, recordingLogger());
    if (process.getuid?.() !== 0) {
      assert.equal(head, undefined); // root reads it anyway
    }
  });
});
