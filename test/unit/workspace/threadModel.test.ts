import * as assert from 'node:assert/strict';
import type { CodexThread } from '../../../src/core/discovery/types';
import type { McpBinding, ThreadContext } from '../../../src/core/store/threadContext';
import { buildWorkspaceModel, type ModelInput } from '../../../src/core/workspace/threadModel';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const DAY = 86_400_000;

/** A UUIDv7 of time `ms` with a chosen tail. */
function id(ms: number, tail: string): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-${tail.padStart(12, '0')}`;
}

function thread(tid: string, over: Partial<CodexThread> = {}): CodexThread {
  const ms = parseInt(tid.slice(0, 8) + tid.slice(9, 13), 16);
  return { id: tid, startedAt: ms, live: true, kind: 'terminal', cwd: '/ws/a', lastActivityAt: ms, hasMetadata: true, ...over };
}

function binding(over: Partial<McpBinding> = {}): McpBinding {
  return { server: 'notes', shimPid: 1001, serverPid: 1002, resolvedBy: 'parent-open-files', status: 'running', startedAt: new Date(NOW - 60_000).toISOString(), callCount: 3, corrections: [], ...over };
}

function context(tid: string, bindings: McpBinding[], over: Partial<ThreadContext['thread']> = {}): { file: string; context: ThreadContext } {
  return {
    file: `/store/workspaces/a-0000000000000000/${tid}.json`,
    context: {
      schemaVersion: 1,
      thread: { id: tid, cwd: '/ws/a', startedBy: 'terminal', status: 'live', ...over },
      workspace: { key: 'a-0000000000000000', folders: ['/ws/a'] },
      bindings,
      updatedAt: new Date(NOW - 1000).toISOString(),
    },
  };
}

function input(over: Partial<ModelInput>): ModelInput {
  const alive = new Set([1001, 1002, 2001, 2002]);
  return { folders: [{ path: '/ws/a', name: 'a' }], threads: [], contexts: [], sinceDays: 7, now: NOW, isAlive: (p) => alive.has(p), normalize: (p) => p, ...over };
}

describe('buildWorkspaceModel', () => {
  it('shows only threads whose cwd is inside a workspace folder, grouped by folder in a multi-root workspace', () => {
    const a = thread(id(NOW - 5000, '1'), { cwd: '/ws/a/sub' });
    const b = thread(id(NOW - 4000, '2'), { cwd: '/ws/b' });
    const other = thread(id(NOW - 3000, '3'), { cwd: '/elsewhere' });
    const m = buildWorkspaceModel(input({ folders: [{ path: '/ws/a', name: 'a' }, { path: '/ws/b', name: 'b' }], threads: [a, b, other] }));
    assert.deepEqual(m.folders.map((f) => [f.folder.name, f.live.map((t) => t.id)]), [['a', [a.id]], ['b', [b.id]]]);
    assert.equal(m.liveCount, 2);
  });

  it('puts live threads first (newest first) and ended ones of the last N days in the ended group, dropping older ones', () => {
    const live1 = thread(id(NOW - 50_000, 'a1'));
    const live2 = thread(id(NOW - 10_000, 'a2'));
    const endedRecent = thread(id(NOW - 2 * DAY, 'e1'), { live: false, lastActivityAt: NOW - 2 * DAY });
    const endedOld = thread(id(NOW - 9 * DAY, 'e2'), { live: false, lastActivityAt: NOW - 9 * DAY });
    const m = buildWorkspaceModel(input({ threads: [endedOld, live1, endedRecent, live2] }));
    assert.deepEqual(m.folders[0].live.map((t) => t.id), [live2.id, live1.id]);
    assert.deepEqual(m.folders[0].ended.map((t) => t.id), [endedRecent.id]);
    const liveOnly = buildWorkspaceModel(input({ threads: [endedOld, live1, endedRecent, live2], liveOnly: true }));
    assert.deepEqual(liveOnly.folders[0].ended, []);
  });

  it('labels a thread with its title, else a short id from its random tail that differs for threads of the same millisecond', () => {
    const t1 = thread(id(NOW - 1000, 'abcdef111111'));
    const t2 = thread(id(NOW - 1000, 'abcdef222222'));
    const titled = thread(id(NOW - 2000, '3'), { title: 'fix the tests' });
    const m = buildWorkspaceModel(input({ threads: [t1, t2, titled] }));
    const labels = m.folders[0].live.map((t) => t.label);
    assert.deepEqual(labels.slice(0, 2).sort(), ['111111', '222222']);
    assert.equal(labels[2], 'fix the tests');
  });

  it('describes who started a thread and when, nests sub-agents under their parent, and says what a fork forked from', () => {
    const parent = thread(id(NOW - 120_000, 'p'), { kind: 'ide', title: 'refactor' });
    const child = thread(id(NOW - 60_000, 'c'), { kind: 'other', parentThreadId: parent.id });
    const fork = thread(id(NOW - 30_000, 'f'), { kind: 'exec', forkedFromId: parent.id });
    const m = buildWorkspaceModel(input({ threads: [parent, child, fork] }));
    const top = m.folders[0].live;
    assert.deepEqual(top.map((t) => t.id), [fork.id, parent.id]);
    assert.equal(top[1].description, 'IDE · started 2 min ago');
    assert.deepEqual(top[1].children.map((t) => t.id), [child.id]);
    assert.equal(top[1].children[0].description, 'sub-agent of refactor · started 1 min ago');
    assert.equal(top[0].description, 'exec · fork of refactor · started just now');
  });

  it('gives each binding a state: running, restarted after a correction, exited with code or signal, lost when its shim died silently, a failed restart, unknown statuses as written', () => {
    const tid = id(NOW - 100_000, 'b');
    const other = id(NOW - 200_000, 'o');
    const ctx = context(tid, [
      binding({ server: 'a-running' }),
      binding({ server: 'b-restarted', resolvedBy: 'per-call', corrections: [{ at: new Date(NOW).toISOString(), from: other, to: tid, action: 'restart' }] }),
      binding({ server: 'c-exited', status: 'exited', exitCode: 3, shimPid: 3001 }),
      binding({ server: 'd-killed', status: 'exited', exitSignal: 'SIGKILL', shimPid: 3002 }),
      binding({ server: 'e-lost', shimPid: 3003, serverPid: 3004 }),
      binding({ server: 'f-unresolved', resolvedBy: 'unresolved', shimPid: 2001 }),
      binding({ server: 'g-failed', status: 'failed', exitCode: 127, shimPid: 3005, endedAt: new Date(NOW).toISOString() }),
      { ...binding({ server: 'i-future', shimPid: 3006 }), status: 'paused' as McpBinding['status'], endedAt: new Date(NOW).toISOString() },
      binding({ server: 'h-starting', status: 'starting', shimPid: 2002 }),
    ]);
    const m = buildWorkspaceModel(input({ threads: [thread(tid)], contexts: [ctx] }));
    const got = m.folders[0].live[0].bindings.map((b) => [b.server, b.state, b.stateText]);
    assert.deepEqual(got, [
      ['a-running', 'running', 'running'],
      ['b-restarted', 'restarted', 'restarted with the right id'],
      ['c-exited', 'exited', 'exited (code 3)'],
      ['d-killed', 'exited', 'exited (SIGKILL)'],
      ['e-lost', 'lost', 'lost (shim gone without a word)'],
      ['f-unresolved', 'unresolved', 'running without a thread id'],
      ['g-failed', 'failed', 'restart failed (code 127)'],
      ['h-starting', 'starting', 'starting'],
      ['i-future', 'unknown', 'paused'],
    ]);
  });

  it('flags a server process alive after its thread was unloaded as an orphan, and a second live instance of a server in one thread as a duplicate', () => {
    const ended = thread(id(NOW - 100_000, 'e'), { live: false, lastActivityAt: NOW - 50_000 });
    const live = thread(id(NOW - 90_000, 'l'));
    const m = buildWorkspaceModel(
      input({
        threads: [ended, live],
        contexts: [
          context(ended.id, [binding({ shimPid: 1001 })]),
          { ...context(live.id, [binding({ shimPid: 2001, startedAt: new Date(NOW - 80_000).toISOString() }), binding({ shimPid: 2002, startedAt: new Date(NOW - 10_000).toISOString() })]), file: '/store/x.json' },
        ],
      }),
    );
    const orphan = m.folders[0].ended[0].bindings[0];
    assert.equal(orphan.flag, 'orphan');
    const [first, second] = m.folders[0].live[0].bindings;
    assert.equal(first.flag, undefined);
    assert.equal(second.flag, 'duplicate');
    assert.equal(second.duplicateOfShimPid, 2001);
  });

  it('keeps an ephemeral thread only the store knows while its server runs', () => {
    const tid = id(NOW - 100_000, 'eph');
    const m = buildWorkspaceModel(input({ contexts: [context(tid, [binding()])] }));
    assert.deepEqual(m.folders[0].live.map((t) => t.id), [tid]);
  });
});
