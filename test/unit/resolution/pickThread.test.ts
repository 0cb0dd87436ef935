import * as assert from 'node:assert/strict';
import { orderCandidates, WINDOW_MS, type Candidate } from '../../../src/core/resolution/pickThread';

const START = 1_800_000_000_000;
const c = (threadId: string, ago: number, extra: Partial<Candidate> = {}): Candidate => ({ threadId, loadedAt: START - ago, ...extra });
const ids = (list: Candidate[]): string[] => list.map((x) => x.threadId);

describe('orderCandidates (the start-up rule)', () => {
  it('in a burst, the shim with no unclaimed lower-pid sibling takes the oldest thread, the next one the second oldest', () => {
    const burst = [c('t3', 10), c('t1', 40), c('t2', 25)];
    assert.deepEqual(ids(orderCandidates({ candidates: burst, shimStartMs: START, rank: 0 })).slice(0, 1), ['t1']);
    assert.deepEqual(ids(orderCandidates({ candidates: burst, shimStartMs: START, rank: 1 })).slice(0, 1), ['t2']);
    assert.deepEqual(ids(orderCandidates({ candidates: burst, shimStartMs: START, rank: 2 })).slice(0, 1), ['t3']);
    assert.deepEqual(ids(orderCandidates({ candidates: burst, shimStartMs: START, rank: 7 })).slice(0, 1), ['t3'], 'a rank past the end takes the newest');
  });

  it('a thread loaded before the window (one that never got servers, e.g. the TUI helper) is not chosen while a thread in the window is free', () => {
    const helper = c('helper', WINDOW_MS + 500);
    const fresh = c('fresh', 30);
    assert.deepEqual(ids(orderCandidates({ candidates: [helper, fresh], shimStartMs: START, rank: 0 })), ['fresh', 'helper']);
  });

  it('outside any burst: the newest thread loaded before the shim started, then later ones oldest first', () => {
    const list = [c('old', 60_000), c('older', 120_000), c('later1', -500), c('later2', -200)];
    assert.deepEqual(ids(orderCandidates({ candidates: list, shimStartMs: START, rank: 0 })), ['old', 'older', 'later2', 'later1']);
  });

  it('a thread this server was moved away from by the per-call check is tried last', () => {
    const list = [c('magnet', 40, { passedOver: true }), c('t2', 20)];
    assert.deepEqual(ids(orderCandidates({ candidates: list, shimStartMs: START, rank: 0 })), ['t2', 'magnet']);
  });

  it("where candidates' cwd is known and one is the shim's cwd, threads in other folders are dropped", () => {
    const list = [c('elsewhere', 40, { cwd: '/work/a' }), c('here', 20, { cwd: '/work/b' }), c('unknown', 10)];
    assert.deepEqual(ids(orderCandidates({ candidates: list, shimStartMs: START, shimCwd: '/work/b', rank: 0 })), ['here', 'unknown']);
    // A server with its own cwd (the shim's cwd matches no thread): nothing is dropped.
    assert.deepEqual(ids(orderCandidates({ candidates: list, shimStartMs: START, shimCwd: '/srv/x', rank: 0 })), ['elsewhere', 'here', 'unknown']);
  });
});
