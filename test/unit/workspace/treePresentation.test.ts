import * as assert from 'node:assert/strict';
import type { McpServerConfig } from '../../../src/core/codexConfig/types';
import type { McpBinding } from '../../../src/core/store/threadContext';
import { buildWorkspaceModel } from '../../../src/core/workspace/threadModel';
import { bindingPresentation, serverPresentation, threadPresentation } from '../../../src/core/workspace/treePresentation';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const ID = '019af3a0-0000-7000-8000-000000000001';

function model(bindings: McpBinding[], live = true) {
  return buildWorkspaceModel({
    folders: [{ path: '/ws', name: 'ws' }],
    threads: [{ id: ID, startedAt: NOW - 60_000, live, kind: 'exec', cwd: '/ws', rolloutPath: '/h/r.jsonl', title: 'a very long first message that goes on and on', lastActivityAt: NOW, hasMetadata: true }],
    contexts: [{ file: `/s/${ID}.json`, context: { schemaVersion: 1, thread: { id: ID, cwd: '/ws', startedBy: 'exec', status: 'live' }, workspace: { key: 'ws-0000000000000000', folders: ['/ws'] }, bindings, updatedAt: new Date(NOW).toISOString() } }],
    sinceDays: 7,
    now: NOW,
    isAlive: (pid) => pid < 100,
    normalize: (p) => p,
  });
}

const b = (over: Partial<McpBinding>): McpBinding => ({ server: 'notes', shimPid: 10, serverPid: 11, resolvedBy: 'parent-open-files', status: 'running', startedAt: new Date(NOW - 1000).toISOString(), callCount: 1, corrections: [], stderrLog: '/s/logs/x.log', ...over });

describe('tree presentation', () => {
  it('keys menus on the contextValue: thread live/ended with transcript and context file, binding state, flag and stderr', () => {
    const m = model([b({}), b({ shimPid: 20, serverPid: 21, startedAt: new Date(NOW).toISOString(), stderrLog: undefined })]);
    const t = m.byId.get(ID)!;
    assert.equal(threadPresentation(t).contextValue, 'thread.live.transcript.context.flagged');
    assert.equal(bindingPresentation(t.bindings[0], NOW).contextValue, 'binding.running.stderr');
    assert.equal(bindingPresentation(t.bindings[1], NOW).contextValue, 'binding.running.duplicate');
    const ended = model([b({})], false).byId.get(ID)!;
    assert.equal(bindingPresentation(ended.bindings[0], NOW).contextValue, 'binding.running.orphan.stderr');
    assert.match(bindingPresentation(ended.bindings[0], NOW).description!, /^orphan: thread unloaded · running · 1 call · pid 11/);
  });

  it('shows a healthy binding as a green check and every unhealthy one differently', () => {
    const m = model([
      b({ server: 'a' }),
      b({ server: 'b', status: 'exited', exitCode: 1 }),
      b({ server: 'c', shimPid: 500, serverPid: 501 }),
      b({ server: 'd', corrections: [{ at: new Date(NOW).toISOString(), to: ID, action: 'restart' }] }),
    ]);
    const icons = m.byId.get(ID)!.bindings.map((x) => bindingPresentation(x, NOW).icon);
    assert.deepEqual(icons, [
      { id: 'pass', color: 'testing.iconPassed' },
      { id: 'error', color: 'testing.iconFailed' },
      { id: 'debug-disconnect', color: 'list.errorForeground' },
      { id: 'debug-restart', color: 'charts.yellow' },
    ]);
  });

  it('cuts a long title so the row keeps room for who started it and when, and keeps the full title in the tooltip', () => {
    const t = model([]).byId.get(ID)!;
    const p = threadPresentation(t);
    assert.equal(p.label, 'a very long first messa…');
    assert.equal(p.description, 'exec · started 1 min ago');
    assert.match(p.tooltip!(), /a very long first message that goes on and on/);
    assert.match(p.tooltip!(), new RegExp(ID));
  });

  it('marks configured servers wrapped, not wrapped or remote, with the contextValues the config commands key on', () => {
    const base: McpServerConfig = { name: 's', file: '/h/config.toml', line: 3, transport: 'stdio', command: 'x', args: [], enabled: true, wrapped: true };
    assert.equal(serverPresentation(base, 2, '/h').contextValue, 'mcpServer.wrapped');
    assert.equal(serverPresentation(base, 2, '/h').description, 'wrapped · 2 live threads');
    assert.equal(serverPresentation({ ...base, wrapped: false }, 0, '/h').contextValue, 'mcpServer.unwrapped');
    assert.equal(serverPresentation({ ...base, transport: 'http', url: 'https://x' }, 0, '/h').contextValue, 'mcpServer.remote');
    assert.equal(serverPresentation({ ...base, file: '/ws/.codex/config.toml' }, 0, '/h').description, 'wrapped · project ws');
  });
});
