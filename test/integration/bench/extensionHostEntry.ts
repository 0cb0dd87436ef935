// Entry of the views' benchmark inside the real VS Code extension host (not a test: it asserts no
// timings, and it is not in suite/, so the integration suite never runs it). bench/extensionHost.ts
// starts code-server with it through the harness (runSuite), over a Codex home it filled with
// 200 threads × 3 bindings before code-server started, and reads the figures from the JSON file
// this entry writes. What each figure measures is said where it is taken.
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CodexThreadDiscovery } from '../../../src/core/discovery/discovery';
import { ContextStore } from '../../../src/core/store/contextStore';
import { lockFile, recordCall, rollout, uuidV7 } from '../../../bench/extensionFixture';
import { BENCH_FIXTURE_ENV, type BenchFixture, type BenchResult } from '../../../bench/extensionHostResult';

const EXTENSION_ID = 'codex-thread-context.codex-thread-context';
const LINE_PREFIX_ENV = 'CODEX_TC_SUITE_LINE_PREFIX';
const EVENT_TIMEOUT_MS = 15_000;
interface Api {
  whenIdle(): Promise<void>;
  recentLog(): string[];
  render(view: 'threads' | 'servers'): { id: string; description?: string }[];
  onDidChangeView(listener: (view: 'threads' | 'servers') => void): vscode.Disposable;
}

function say(line: string): void {
  console.log(`${process.env[LINE_PREFIX_ENV] ?? ''}bench: ${line}`);
}

/** Milliseconds from `act` until a render of `view` after one of its change events satisfies `check`. */
function timeToView(api: Api, view: 'threads' | 'servers', check: (rows: { id: string; description?: string }[]) => boolean, act: () => Promise<void> | void, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let t0 = 0;
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${what}: the ${view} view did not show it within ${EVENT_TIMEOUT_MS} ms`));
    }, EVENT_TIMEOUT_MS);
    const sub = api.onDidChangeView((changed) => {
      if (changed === view && t0 > 0 && check(api.render(view))) {
        const ms = performance.now() - t0;
        clearTimeout(timer);
        sub.dispose();
        resolve(ms);
      }
    });
    t0 = performance.now();
    Promise.resolve(act()).catch((err: unknown) => {
      clearTimeout(timer);
      sub.dispose();
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}

/** A CPU profile of this extension host (the entry runs inside it), for --profile. */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    stop: async (file) => {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

export async function run(): Promise<void> {
  const fixture = JSON.parse(fs.readFileSync(process.env[BENCH_FIXTURE_ENV] ?? '', 'utf8')) as BenchFixture;
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  if (!ext) {
    throw new Error(`extension ${EXTENSION_ID} is not installed in this host`);
  }
  const wasActive = ext.isActive;
  // Started before the wait, so that a profile covers an activation VS Code starts too.
  const profiler = fixture.profile ? await startProfile() : undefined;
  if (fixture.waitForVsCode) {
    // VS Code activates it on its own once the workbench has started (onStartupFinished).
    const deadline = Date.now() + 60_000;
    while (!ext.isActive) {
      if (Date.now() > deadline) {
        throw new Error('VS Code did not activate the extension within 60 s');
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  // First render, two ways. Rows shown: the extension's log line "rows ready in N ms" (from its
  // activate() to the first full load in the views' model; the host may have started activating it
  // before this entry runs) plus one render of both views. Idle: from this entry's activate() call
  // to every row rendered after the views are idle, which includes what the extension does at
  // start in the background (its context-file writes).
  const t0 = performance.now();
  const api = await ext.activate();
  await api.whenIdle();
  if (profiler && fixture.profile) {
    await profiler.stop(fixture.profile);
  }
  let t = performance.now();
  const rows = { threads: api.render('threads').length, servers: api.render('servers').length };
  const renderMs = performance.now() - t;
  const firstRenderMs = wasActive || fixture.waitForVsCode ? null : performance.now() - t0;
  const ready = api.recentLog().map((l) => /rows ready in (\d+) ms/.exec(l)).find((m) => m);
  const firstRowsMs = (wasActive && !fixture.waitForVsCode) || !ready ? null : Number(ready[1]) + renderMs;
  const logged = api.recentLog().map((l) => /activated in (\d+) ms/.exec(l)).find((m) => m);
  const result: BenchResult = { wasActive, activatedBy: fixture.waitForVsCode ? 'vscode' : 'bench', activationLogMs: logged ? Number(logged[1]) : null, firstRowsMs, firstRenderMs, rows, renderMs, readMs: [], refreshMs: [], reloadMs: [], lockMs: [], callMs: [] };
  say(`log: ${api.recentLog().filter((l) => /threads known|rows ready|activated in|rollout heads from/.test(l)).join(' | ')}`);
  say(`activation ${result.activationLogMs} ms, rows shown ${firstRowsMs?.toFixed(0) ?? '(already active)'} ms, idle ${firstRenderMs?.toFixed(0) ?? '-'} ms, rows ${rows.threads} + ${rows.servers}`);

  const store = new ContextStore({ root: path.join(fixture.codexHome, 'thread-context') });
  for (let i = 0; i < fixture.repeats; i++) {
    t = performance.now();
    await new CodexThreadDiscovery({ codexHome: fixture.codexHome }).list({ sinceDays: 7 });
    await store.listThreadsInFolders([fixture.folder]);
    result.readMs.push(performance.now() - t);

    t = performance.now();
    await vscode.commands.executeCommand('codexThreadContext.refresh');
    await api.whenIdle();
    api.render('threads');
    api.render('servers');
    result.refreshMs.push(performance.now() - t);

    // The same load from scratch in a warm host: a setting change rebuilds the session (discovery,
    // store, watchers) and the views; stops when the Threads view's rows are all back. VS Code
    // reports the change some time after update() wrote it, and the views can change meanwhile
    // (context files still being written): only rows after the change count. The extension's
    // listener was registered first, so it has restarted the session when `changed` is set.
    const days = i % 2 === 0 ? 8 : 7;
    let changed = false;
    const onChange = vscode.workspace.onDidChangeConfiguration((e) => {
      changed ||= e.affectsConfiguration('codexThreadContext.endedThreadDays');
    });
    result.reloadMs.push(
      await timeToView(api, 'threads', (r) => changed && r.length >= rows.threads, async () => {
        await vscode.workspace.getConfiguration('codexThreadContext').update('endedThreadDays', days, vscode.ConfigurationTarget.Global);
      }, 'reload after a setting change').finally(() => onChange.dispose()),
    );
    await api.whenIdle();

    // A new thread starts: its lock file, then its rollout, appear.
    const id = uuidV7(Date.now(), 100_000 + i);
    result.lockMs.push(
      await timeToView(api, 'threads', (r) => r.some((row) => row.id.endsWith(`/${id}`)), () => {
        fs.writeFileSync(lockFile(fixture.codexHome, id), '');
        rollout(fixture.codexHome, id, Date.now(), fixture.folder);
      }, `new thread ${id}`),
    );

    // A binding's first call, written as the shim writes it (another thread each time).
    const target = fixture.ids[i * 2 + 1];
    const bindingRow = (r: { id: string; description?: string }[]) => r.find((row) => row.id.includes(`/${target}/b0:server0:`));
    await api.whenIdle();
    const before = bindingRow(api.render('threads'))?.description;
    if (before === undefined) {
      const rowsOf = api.render('threads').filter((row) => row.id.includes(target)).map((row) => `${row.id} (${row.description ?? ''})`);
      throw new Error(`the Threads view shows no server0 binding of ${target}; its rows: ${rowsOf.join('; ') || 'none'}; log: ${api.recentLog().slice(-15).join(' | ')}`);
    }
    result.callMs.push(await timeToView(api, 'threads', (r) => bindingRow(r)?.description !== before, () => recordCall(store, target, fixture.folder), `first call of ${target}`));
    await api.whenIdle();
  }
  say(`refresh ${result.refreshMs.map((v) => v.toFixed(0)).join(' ')}; reload ${result.reloadMs.map((v) => v.toFixed(0)).join(' ')}; lock ${result.lockMs.map((v) => v.toFixed(0)).join(' ')}; call ${result.callMs.map((v) => v.toFixed(0)).join(' ')}`);
  fs.writeFileSync(fixture.out, JSON.stringify(result, null, 2) + '\n');
}
