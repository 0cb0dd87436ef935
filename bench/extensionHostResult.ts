// What passes between the views' benchmark in the real extension host (bench/extensionHost.ts,
// plain Node) and its entry inside the host (test/integration/bench/extensionHostEntry.ts): no vscode import,
// so both sides can load it.

/** Path of the JSON file bench/extensionHost.ts writes: BenchFixture. */
export const BENCH_FIXTURE_ENV = 'CODEX_TC_BENCH_FIXTURE';

export interface BenchFixture {
  codexHome: string;
  folder: string;
  /** Thread ids, newest first; every binding's call count of server0 is 0. */
  ids: string[];
  /** How many times refresh and each event are measured in this host. */
  repeats: number;
  /**
   * Leave the activation to VS Code (it activates the extension once the workbench has started,
   * onStartupFinished) instead of calling activate() as soon as this entry runs.
   */
  waitForVsCode: boolean;
  /** Where to write a CPU profile of the extension host from activate() to idle (--profile). */
  profile?: string;
  /** Where to write the BenchResult. */
  out: string;
}

export interface BenchResult {
  /** The extension was already active when this entry ran (then firstRenderMs is null). */
  wasActive: boolean;
  /** Who activated it: this entry, as soon as it ran (while the workbench starts), or VS Code. */
  activatedBy: 'bench' | 'vscode';
  /** The extension's own log line: activate() → threads, context files and watchers loaded. */
  activationLogMs: number | null;
  /** ext.activate() → the first change event after which both views render every row they have once idle. */
  firstRowsMs: number | null;
  /** ext.activate() → views idle (start-up writes done) → every row of both views rendered (render() of the test API). */
  firstRenderMs: number | null;
  rows: { threads: number; servers: number };
  /** One render of both views from the loaded model, once idle (part of firstRowsMs). */
  renderMs: number;
  /** The data only, in this host: discovery.list + store.listThreadsInFolders (baseline). */
  readMs: number[];
  /** Refresh command → views idle → every row rendered. */
  refreshMs: number[];
  /** A setting change (rebuilds discovery, store and watchers) → the Threads view's change event whose rows are all back. */
  reloadMs: number[];
  /** Lock file + rollout written → the Threads view's change event whose rows include the thread. */
  lockMs: number[];
  /** A binding's first call written to the store → the change event whose rows show the new description. */
  callMs: number[];
}

