// The views' data path at size: 200 threads x 3 bindings. Measures, in plain Node (the same
// modules the extension runs; VS Code's own rendering is not included):
//  - first render: WorkspaceThreads.start() (discovery list, context files, watchers) and every
//    row of both views built; against a baseline that only reads the same data (discovery.list +
//    the store's listThreadsInFolders);
//  - refresh: reload and rebuild every row;
//  - events to tree: a thread's lock file + rollout appearing, and a binding's first call written
//    by a shim-like writer, until the model the views render shows it.
// Usage: node out/bench/extensionViews.js [--runs N] [--write]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodexThreadDiscovery } from '../src/core/discovery/discovery';
import { ContextStore } from '../src/core/store/contextStore';
import { normalizeCwd } from '../src/core/store/workspaceKey';
import { WorkspaceThreads } from '../src/core/workspace/workspaceThreads';
import { serverRoots } from '../src/ui/servers/serverNodes';
import { threadRoots } from '../src/ui/threads/threadNodes';
import { BINDINGS, lockFile, recordCall, rollout, THREADS, uuidV7, writeThreads } from './extensionFixture';
import { markdownTable, median, writeBenchSection } from './stats';

async function setup(root: string): Promise<{ home: string; folder: string; store: ContextStore; ids: string[] }> {
  const home = path.join(root, 'codex-home');
  const folder = path.join(root, 'project');
  const { store, ids } = await writeThreads(home, folder);
  return { home, folder: normalizeCwd(folder), store, ids };
}

function make(home: string, folder: string): WorkspaceThreads {
  const quiet = { info: () => undefined, warn: (m: string) => console.error(m), debug: () => undefined };
  return new WorkspaceThreads({
    discovery: new CodexThreadDiscovery({ codexHome: home, detectStaleLocks: false, useStateDb: false }),
    store: new ContextStore({ root: path.join(home, 'thread-context') }),
    folders: [{ path: folder, name: 'project' }],
    sinceDays: 7,
    logger: quiet,
    writeContexts: false,
  });
}

function renderAll(w: WorkspaceThreads): number {
  const now = Date.now();
  const threads = threadRoots(w.model(false), [], now);
  const servers = serverRoots([], w.model(false), w.codexHome, now);
  let rows = 0;
  const count = (nodes: { children: unknown[] }[]): void => {
    for (const n of nodes) {
      rows++;
      count(n.children as { children: unknown[] }[]);
    }
  };
  count(threads);
  count(servers);
  return rows;
}

function until(w: WorkspaceThreads, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
    const sub = w.onDidChange(() => {
      if (check()) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
}

async function main(): Promise<void> {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
  const write = process.argv.includes('--write');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-bench-views-'));
  try {
    const { home, folder, store, ids } = await setup(root);
    const baseline: number[] = [];
    const first: number[] = [];
    const refresh: number[] = [];
    const lockToTree: number[] = [];
    const callToTree: number[] = [];
    let rows = 0;
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      await new CodexThreadDiscovery({ codexHome: home, detectStaleLocks: false, useStateDb: false }).list({ sinceDays: 7 });
      await new ContextStore({ root: path.join(home, 'thread-context') }).listThreadsInFolders([folder]);
      baseline.push(performance.now() - t);

      const w = make(home, folder);
      t = performance.now();
      // What a user sees first: the rows built at the first change notification.
      const firstRows = new Promise<number>((resolve) => {
        const sub = w.onDidChange(() => {
          sub.dispose();
          resolve(renderAll(w));
        });
      });
      const started = w.start();
      rows = await firstRows;
      first.push(performance.now() - t);
      await started;
      await w.whenIdle();

      t = performance.now();
      await w.refresh();
      renderAll(w);
      refresh.push(performance.now() - t);

      // A new live thread: its lock file and rollout appear.
      const id = uuidV7(Date.now(), 100_000 + r);
      t = performance.now();
      const seen = until(w, () => w.model(false).byId.get(id)?.live === true);
      fs.writeFileSync(lockFile(home, id), '');
      rollout(home, id, Date.now(), folder);
      await seen;
      renderAll(w);
      lockToTree.push(performance.now() - t);

      // A binding's first call, written as the shim writes it.
      const target = ids[r * 2];
      const before = w.model(false).byId.get(target)!.bindings[0].record.callCount;
      t = performance.now();
      const counted = until(w, () => w.model(false).byId.get(target)!.bindings[0].record.callCount === before + 1);
      await recordCall(store, target, folder);
      await counted;
      renderAll(w);
      callToTree.push(performance.now() - t);
      w.dispose();
    }
    const fmt = (v: number) => v.toFixed(v < 10 ? 1 : 0);
    const table = markdownTable(
      ['measure', 'median ms', 'goal'],
      [
        [`read the data only (baseline: discovery.list + store.listThreadsInFolders)`, fmt(median(baseline)), ''],
        [`first render: start → every row of both views built (${rows} rows)`, fmt(median(first)), '≤ 200'],
        ['refresh: reload + every row', fmt(median(refresh)), '≤ 200'],
        ['lock file + rollout appear → tree model shows the live thread', fmt(median(lockToTree)), '≤ 500'],
        ['binding call written by a shim → tree model shows the count', fmt(median(callToTree)), '≤ 500'],
      ],
    );
    const cpu = os.cpus();
    const text = `${table}\n\n${THREADS} threads (half live) × ${BINDINGS} bindings in one workspace folder; rollouts with 20 KB first lines. Plain Node, the extension's own modules (WorkspaceThreads, the Threads and MCP Servers row builders); VS Code's rendering is not included. Event delays include the store watcher's and discovery's debounce (30–40 ms) and the views' 40 ms batching. Medians of ${runs} runs; measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} cores (load average ${os.loadavg()[0].toFixed(1)} from other sessions: compare rows with the baseline of the same run) (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, \`npm run bench:extension\`.`;
    console.log(text);
    if (write) {
      writeBenchSection('Extension views', text);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

void main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
