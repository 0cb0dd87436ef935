import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextStore } from '../../../src/core/store/contextStore';
import { validateThreadContext } from '../../../src/core/store/validateThreadContext';
import type { ThreadContext } from '../../../src/core/store/threadContext';
import { start, waitForOutput, within, type Started } from '../../support/processes';

const ID = '01a20dd3-146f-7680-86a1-782e736bec86';
const WORKER = path.join(__dirname, 'storeWorker.js');

/** Lock directories, lock tokens and fence files anywhere in a store. */
function lockLeftovers(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((p) => /\.(lock|owner)$|\.lock\.dead-/.test(p));
}

describe('ContextStore across processes', function () {
  this.timeout(120_000);
  let dir: string;
  let root: string;
  let cwd: string;
  const children: Started[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-conc-'));
    root = path.join(dir, 'store');
    cwd = path.join(dir, 'project');
    fs.mkdirSync(cwd);
  });

  afterEach(() => {
    for (const c of children.splice(0)) {
      c.child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const worker = (...args: string[]): Started => {
    const p = start(process.execPath, [WORKER, ...args]);
    children.push(p);
    return p;
  };

  it('keeps every update of 8 processes x 100 updates on one file, and a reader never sees invalid JSON', async () => {
    const writers = Array.from({ length: 8 }, (_, w) => worker('append', root, cwd, ID, `w${w}`, '100'));
    const file = new ContextStore({ root }).fileFor({ id: ID, cwd });
    let reads = 0;
    let running = true;
    const readerProblems: string[] = [];
    // The reader polls as fast as it can while the writers run: it must only ever see whole files.
    const reader = (async () => {
      while (running) {
        let text: string | undefined;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
            readerProblems.push(String(err));
          }
        }
        if (text !== undefined) {
          reads++;
          try {
            const problems = validateThreadContext(JSON.parse(text));
            if (problems.length) {
              readerProblems.push(problems.join('; '));
            }
          } catch (err) {
            readerProblems.push(`invalid JSON after ${reads} reads: ${(err as Error).message}`);
          }
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const results = await within(Promise.all(writers.map((w) => w.exited)), 110_000, '8 writers');
    running = false;
    await reader;
    results.forEach((r, i) => assert.equal(r.code, 0, `writer ${i}: ${writers[i].stderr()}`));
    const ctx = JSON.parse(fs.readFileSync(file, 'utf8')) as ThreadContext;
    const servers = new Set(ctx.bindings.map((b) => b.server));
    assert.equal(ctx.bindings.length, 800, 'no update lost or doubled');
    for (let w = 0; w < 8; w++) {
      for (let i = 0; i < 100; i++) {
        assert.ok(servers.has(`w${w}-${i}`), `missing w${w}-${i}`);
      }
    }
    assert.deepEqual(readerProblems, []);
    assert.ok(reads > 50, `the reader read while writers ran (${reads} reads)`);
    assert.deepEqual(lockLeftovers(root), [], 'no lock directory, token or fence file is left after 800 updates');
  });

  async function holdThenStop(staleMs: number, stop: 'SIGKILL' | 'SIGSTOP'): Promise<{ tookMs: number; waiters: Started[] }> {
    const holder = worker('hold', root, cwd, ID, String(staleMs));
    await waitForOutput(holder, (o) => o.includes('holding'), 20_000, 'the holder to take the lock');
    const waiters = Array.from({ length: 4 }, (_, w) => worker('append', root, cwd, ID, `w${w}`, '5', String(staleMs)));
    const early = await Promise.race([
      Promise.any(waiters.map((w) => w.exited)).then(() => 'a waiter finished'),
      new Promise((r) => setTimeout(() => r('blocked'), 500)),
    ]);
    assert.equal(early, 'blocked', 'waiters are blocked while the holder holds the lock');
    const stoppedAt = Date.now();
    holder.child.kill(stop);
    if (stop === 'SIGKILL') {
      assert.equal((await holder.exited).signal, 'SIGKILL');
    }
    const results = await within(Promise.all(waiters.map((w) => w.exited)), staleMs + 10_000, 'waiters after the holder stopped');
    const tookMs = Date.now() - stoppedAt;
    results.forEach((r, i) => assert.equal(r.code, 0, `waiter ${i}: ${waiters[i].stderr()}`));
    const ctx = await new ContextStore({ root }).read({ id: ID, cwd });
    assert.equal(ctx?.bindings.length, 20, 'every waiter update is there exactly once');
    return { tookMs, waiters };
  }

  it('takes over at once from a holder SIGKILLed mid-update (dead owner), well within the stale timeout', async () => {
    const staleMs = 20_000;
    const { tookMs } = await holdThenStop(staleMs, 'SIGKILL');
    assert.ok(tookMs < staleMs, `waiters finished ${tookMs} ms after the kill (stale timeout ${staleMs} ms)`);
    assert.deepEqual(lockLeftovers(root), [], "the dead holder's lock is gone, nothing left beside the file");
  });

  it('takes over after the stale timeout from a holder that is alive but frozen (SIGSTOP)', async () => {
    const staleMs = 2000;
    const { tookMs } = await holdThenStop(staleMs, 'SIGSTOP');
    // The frozen holder stopped refreshing its lock at most staleMs/2 before it was stopped.
    assert.ok(tookMs < staleMs + 3000, `waiters finished ${tookMs} ms after the stop (stale timeout ${staleMs} ms)`);
    assert.ok(tookMs >= staleMs / 2 - 100, `the live holder's lock was respected until it went stale (${tookMs} ms)`);
  });
});
