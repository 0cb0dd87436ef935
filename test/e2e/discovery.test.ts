// Thread discovery against the real, pinned Codex CLI (offline, mock model API): what Codex writes
// under CODEX_HOME (lock file, rollout, state_5.sqlite) must come out of CodexThreadDiscovery as
// start, metadata and end events and as list()/get() entries with the right metadata.

import assert from 'node:assert/strict';
import { CodexThreadDiscovery } from '../../src/core/discovery/discovery';
import { ThreadChangeEvent } from '../../src/core/discovery/types';
import { startAppServer, startCodexExec } from '../support/codexCli';
import { createCodexFixture, type CodexFixture } from '../support/codexFixture';
import { waitFor } from '../support/wait';

describe('thread discovery (real codex, offline)', function () {
  this.timeout(60_000);
  let fx: CodexFixture | undefined;
  let discovery: CodexThreadDiscovery | undefined;

  afterEach(async () => {
    discovery?.dispose();
    discovery = undefined;
    await fx?.cleanup();
    fx = undefined;
  });

  async function watch(codexHome: string): Promise<{ events: ThreadChangeEvent[]; d: CodexThreadDiscovery }> {
    const d = new CodexThreadDiscovery({ codexHome, rescanIntervalMs: 60_000 });
    discovery = d;
    const events: ThreadChangeEvent[] = [];
    d.onDidChange((e) => events.push(e));
    await d.watch();
    return { events, d };
  }

  it('codex exec: reports start, metadata and end, and lists the thread with its metadata', async () => {
    fx = await createCodexFixture({ turns: ['all done'] });
    const { home } = fx;
    const { events, d } = await watch(home.codexHome);

    const exec = startCodexExec({ home, prompt: 'Summarise the layout of this repository' });
    const tid = await exec.threadId();
    await exec.wait(30_000);
    const ofThread = (type: string): ThreadChangeEvent | undefined => events.find((e) => e.type === type && e.thread.id === tid);
    await waitFor(() => ofThread('ended'), { timeoutMs: 5000, description: `ended event of ${tid}`, diagnostics: () => JSON.stringify(events.map((e) => [e.type, e.thread.id])) });

    const started = ofThread('started');
    assert.ok(started, 'started event');
    assert.equal(started.thread.live, true);
    const types = events.filter((e) => e.thread.id === tid).map((e) => e.type);
    assert.equal(types[0], 'started');
    assert.equal(types[types.length - 1], 'ended');
    const withTitle = events.find((e) => e.thread.id === tid && e.thread.title !== undefined);
    assert.equal(withTitle?.thread.title, 'Summarise the layout of this repository');

    for (const t of [(await d.list()).find((x) => x.id === tid), await d.get(tid)]) {
      assert.ok(t);
      assert.equal(t.live, false);
      assert.equal(t.kind, 'exec');
      assert.equal(t.originator, 'codex_exec');
      assert.equal(t.cwd, home.workDir);
      assert.equal(t.cliVersion, '0.169.0');
      assert.equal(t.title, 'Summarise the layout of this repository');
      assert.ok(t.rolloutPath?.startsWith(home.codexHome), t.rolloutPath);
      assert.ok(t.rolloutPath?.endsWith(`-${tid}.jsonl`));
      assert.ok((t.lastActivityAt ?? 0) >= (t.startedAt ?? Infinity));
    }
  });

  it('app-server (the IDE extension path): the client name is the originator, threads are live while loaded', async () => {
    fx = await createCodexFixture({ defaultText: 'ok' });
    const { home } = fx;
    const { events, d } = await watch(home.codexHome);
    const client = await startAppServer({ home, clientName: 'codex_vscode' });
    const thread = await client.threadStart({ cwd: home.workDir });
    await waitFor(() => events.find((e) => e.type === 'started' && e.thread.id === thread.id), { timeoutMs: 5000, description: 'started event' });
    await client.runTurn(thread.id, 'hello from the IDE');
    const meta = await waitFor(() => events.find((e) => e.thread.id === thread.id && e.thread.title !== undefined), { timeoutMs: 5000, description: 'metadata with a title' });
    assert.equal(meta.thread.kind, 'ide');
    assert.equal(meta.thread.originator, 'codex_vscode');
    assert.equal(meta.thread.title, 'hello from the IDE');
    assert.equal((await d.get(thread.id))?.live, true);
    await client.close();
    await waitFor(() => events.find((e) => e.type === 'ended' && e.thread.id === thread.id), { timeoutMs: 10_000, description: 'ended event after the app-server exits' });
    assert.equal((await d.get(thread.id))?.live, false);
  });
});
