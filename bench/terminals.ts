// Issue 11's figures: which integrated terminal runs which default Codex TUI thread, measured in a
// real VS Code (code-server, headless Chromium) with the pinned Codex and the mock model. Runs the
// bench suite test/integration/bench/*.bench.js inside the extension host (not part of `npm test`),
// reads its per-terminal results and prints the table; --write puts it into bench/README.md.
// The same run takes media/screenshots/terminals.png (two TUIs, the sidebar, the status bar).
//
//   npm run bench:terminals
//   node out/bench/terminals.js [--runs N] [--scenarios one,apart,together] [--write] [--no-screenshot]
//                               [--screenshot FILE] [--report-only FILE.json]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { widenSidebar } from '../test/integration/codeServer/browser';
import { launchBrowser, type WorkbenchBrowser } from '../test/integration/codeServer/browser';
import { ensureCodeServer } from '../test/integration/codeServer/install';
import { progress } from '../test/integration/codeServer/log';
import { repoRoot } from '../test/integration/codeServer/paths';
import { HarnessProfile } from '../test/integration/codeServer/profile';
import { CodeServer } from '../test/integration/codeServer/server';
import { killStrayProcesses } from '../test/integration/codeServer/strays';
import { BROWSER_PACKAGES, ensureSystemPackages } from '../test/integration/codeServer/systemPackages';
import { SUITE_LINE_PREFIX_ENV, suiteUrl } from '../test/integration/runCodeServer';
import { BENCH_OUT_ENV, BENCH_RUNS_ENV, BENCH_SCENARIOS_ENV, SCREENSHOT_REQUEST_ENV, type BenchResults, type Scenario, type TerminalResult } from '../test/integration/bench/terminalBenchResults';
import { markdownTable, median, percentile, writeBenchSection } from './stats';

const LINE_PREFIX = '[codex-tc-bench] ';

interface Options {
  runs: number;
  scenarios: string;
  write: boolean;
  screenshot?: string;
  reportOnly?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 20, scenarios: 'one,apart,together', write: false, screenshot: path.join(repoRoot(), 'media', 'screenshots', 'terminals.png') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--scenarios') o.scenarios = argv[++i];
    else if (a === '--write') o.write = true;
    else if (a === '--no-screenshot') delete o.screenshot;
    else if (a === '--screenshot') o.screenshot = path.resolve(argv[++i]);
    else if (a === '--report-only') o.reportOnly = path.resolve(argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** Runs the bench suite in code-server; answers the suite's screenshot request with the page. */
async function runBench(o: Options, resultsFile: string): Promise<number> {
  await ensureSystemPackages(BROWSER_PACKAGES);
  const install = await ensureCodeServer();
  const profile = HarnessProfile.create();
  const request = path.join(profile.root, 'screenshot-request.json');
  let server: CodeServer | undefined;
  let browser: WorkbenchBrowser | undefined;
  let poll: NodeJS.Timeout | undefined;
  let settle: (code: number) => void = () => undefined;
  // Ctrl-C ends the suite's wait, so `finally` stops code-server, the browser and the TUIs' daemons.
  const onSignal = () => settle(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    server = await CodeServer.start({
      install,
      env: profile.env({
        [SUITE_LINE_PREFIX_ENV]: LINE_PREFIX,
        [BENCH_OUT_ENV]: resultsFile,
        [BENCH_RUNS_ENV]: String(o.runs),
        [BENCH_SCENARIOS_ENV]: o.scenarios,
        ...(o.screenshot ? { [SCREENSHOT_REQUEST_ENV]: request } : {}),
      }),
      userDataDir: profile.userDataDir,
      extensionsDir: profile.extensionsDir,
      extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
    });
    browser = await launchBrowser({ width: 1400, height: 860 });
    const page = browser.browser.pages()[0] ?? (await browser.browser.newPage());
    const exit = new Promise<number>((r) => (settle = r));
    await page.exposeFunction('codeAutomationExit', (code: number) => settle(Number(code)));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown) => {
      const text = (Array.isArray(args) ? args : [args]).map(String).join(' ');
      if (text.startsWith(LINE_PREFIX)) process.stdout.write(`${text.slice(LINE_PREFIX.length)}\n`);
    });
    let busy = false;
    poll = setInterval(() => {
      if (busy || !o.screenshot || !fs.existsSync(request)) return;
      busy = true;
      fs.mkdirSync(path.dirname(o.screenshot), { recursive: true });
      void widenSidebarForPicture(page, 560)
        .then(() => page.screenshot({ path: o.screenshot }))
        .then(() => progress(`screenshot saved to ${o.screenshot}`))
        .finally(() => {
          fs.renameSync(request, `${request}.done`);
          busy = false;
        });
    }, 200);
    const bench = path.join(repoRoot(), 'out', 'test', 'integration', 'bench', 'index.js');
    await page.goto(suiteUrl(server, profile.workspace, repoRoot(), bench));
    return await exit;
  } finally {
    clearInterval(poll);
    await browser?.close().catch(() => undefined);
    await server?.stop();
    await killStrayProcesses(profile.root);
    profile.cleanup();
  }
}

/** Widens the sidebar so the thread rows' descriptions fit, and waits for a clean picture. */
async function widenSidebarForPicture(page: Page, width: number): Promise<void> {
  await widenSidebar(page, width);
  const box = await page.locator('.part.sidebar').boundingBox();
  if (box) {
    await page.mouse.move(box.x + box.width + 300, box.y + 40); // no hover in the picture
  }
  await new Promise((r) => setTimeout(r, 2000)); // the terminals' "columns x rows" overlay fades out
}

const SCENARIO_NAMES: Record<Scenario, string> = {
  one: 'one default TUI',
  apart: 'two default TUIs, one folder, started 1–2 s apart',
  together: 'two default TUIs, one folder, started at once',
};

const pct = (n: number, of: number) => (of === 0 ? '-' : `${n} (${Math.round((100 * n) / of)} %)`);
const ms = (values: number[]) => (values.length === 0 ? '-' : `${(median(values) / 1000).toFixed(1)} / ${(percentile(values, 95) / 1000).toFixed(1)}`);

function report(data: BenchResults): string {
  const rows: (string | number)[][] = [];
  const delays: (string | number)[][] = [];
  for (const scenario of Object.keys(SCENARIO_NAMES) as Scenario[]) {
    const rs = data.results.filter((r) => r.scenario === scenario);
    if (rs.length === 0) continue;
    const runs = new Set(rs.map((r) => r.run));
    const runOk = [...runs].filter((run) => rs.filter((r) => r.run === run).every((r) => r.outcome === 'exact')).length;
    const count = (f: (r: TerminalResult) => boolean) => rs.filter(f).length;
    rows.push([
      SCENARIO_NAMES[scenario],
      `${runs.size} / ${rs.length}`,
      pct(count((r) => r.outcome === 'exact'), rs.length),
      pct(count((r) => r.outcome === 'probable-right'), rs.length),
      pct(count((r) => r.outcome === 'probable-wrong'), rs.length),
      pct(count((r) => r.outcome === 'exact-wrong'), rs.length),
      pct(count((r) => r.outcome === 'none'), rs.length),
      count((r) => r.everWrongExact),
      count((r) => r.everWrongProbable),
      pct(runOk, runs.size),
    ]);
    const val = (f: (r: TerminalResult) => number | undefined) => rs.map(f).filter((v): v is number => v !== undefined);
    delays.push([
      SCENARIO_NAMES[scenario],
      ms(val((r) => r.launchedMs)),
      ms(val((r) => r.submittedMs)),
      ms(val((r) => r.firstRightMs)),
      ms(val((r) => r.firstExactMs)),
      ms(val((r) => (r.firstExactMs !== undefined ? r.firstExactMs - r.submittedMs : undefined))),
    ]);
  }
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(', ');
  return [
    markdownTable(
      ['scenario', 'runs / terminals', 'exact and right', 'probable and right', 'probable and wrong', 'exact and wrong', 'none', 'terminals ever shown a wrong exact', 'terminals ever shown a wrong probable', 'runs with every terminal exact and right'],
      rows,
    ),
    '',
    markdownTable(['scenario (median / p95, seconds from the thread’s UUIDv7 time)', 'TUI typed', 'prompt submitted', 'shown on its thread (any)', 'shown exact', 'exact after submit'], delays),
    '',
    `Each run opens fresh integrated terminals (bash with shell integration) in a real VS Code (code-server, headless Chromium), types the pinned Codex TUI (0.169, mock model, shared daemon) into them, waits for its prompt and submits a prompt no other terminal types (a bracketed paste, then Enter): with two TUIs started 1–2 s apart the second prompt also goes in 1–2 s after the first, with two started at once both go in back to back (within about 0.5 s). The truth is Codex's own record: the rollout file that holds a terminal's prompt names its thread. The extension's association of each terminal is sampled every 50 ms from the TUI's start until every terminal is exact (or 12 s after the last submit), plus 1.5 s; the outcome columns are the association at the end, "ever shown" counts any sample. A default TUI's thread starts when the TUI starts, before the prompt, and its cwd is on no disk until its first message: the delays include the typing. Each run ends by closing the terminals and stopping the daemon. ${data.failures.length > 0 ? `Runs that failed before an outcome: ${data.failures.length} (${data.failures.join('; ')}).` : 'No run failed.'} Measured ${data.startedAt.slice(0, 10)} on ${os.cpus().length} cores shared with another code-server session, load average (1, 5, 15 min) ${load(data.loadAvgStart)} at the start and ${load(data.loadAvgEnd)} at the end; \`npm run bench:terminals\`.`,
  ].join('\n');
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const resultsFile = o.reportOnly ?? path.join(repoRoot(), 'out', 'bench-results', 'terminals.json');
  if (!o.reportOnly) {
    fs.rmSync(resultsFile, { force: true });
    progress(`load before: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
    const code = await runBench(o, resultsFile);
    progress(`bench suite exited with ${code}; load after: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
  }
  if (!fs.existsSync(resultsFile)) {
    progress(`no results in ${resultsFile}`);
    return 1;
  }
  const text = report(JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as BenchResults);
  process.stdout.write(`${text}\n`);
  if (o.write) {
    writeBenchSection('Terminal associations', text);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    progress(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
