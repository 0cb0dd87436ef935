// Bench of issue 11's figures, in the real VS Code of the harness: real default Codex TUIs typed into
// real integrated terminals (pinned Codex, mock model). Per run, every terminal types a prompt
// nobody else types; the ground truth of which thread a terminal runs is the rollout file that
// holds its prompt (Codex's own record, read without the extension). Meanwhile the extension's
// association of each terminal is sampled every 50 ms. Scenarios: one TUI; two TUIs in one folder
// started 1–2 s apart; two started at once. Results go to CODEX_TC_BENCH_OUT (JSON) for the runner.
//
// Run through `npm run bench:terminals` (test/integration/runTerminalBench.ts), never in the suite.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HarnessCodex } from '../support/harnessCodex';
import { BENCH_OUT_ENV, BENCH_RUNS_ENV, BENCH_SCENARIOS_ENV, SCREENSHOT_REQUEST_ENV, type BenchResults, type Outcome, type Scenario, type TerminalResult } from './terminalBenchResults';
import { api, launchTui, openCodexTerminal, prepareTuiHome, shellReady, stopDaemon, submit, tuiPrompt, type Association, type CommandOutput } from '../support/codexTerminals';

const SAMPLE_MS = 50;
/** How long after the last submit the terminals get to become exact. */
const SETTLE_LIMIT_MS = 12_000;
/** Samples taken after every terminal is exact, to catch a flip. */
const AFTER_EXACT_MS = 1500;

function log(line: string): void {
  console.log(`${process.env.CODEX_TC_SUITE_LINE_PREFIX ?? ''}${line}`);
}

/** The millisecond time in a UUIDv7 thread id (its first 48 bits). */
function uuidV7Ms(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

/** The thread whose rollout holds `prompt`: Codex's own record of which thread got the message. */
function threadOfPrompt(codexHome: string, prompt: string): string | undefined {
  const walk = (dir: string): string | undefined => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        const found = walk(p);
        if (found) return found;
      } else if (e.name.endsWith('.jsonl') && fs.readFileSync(p, 'utf8').includes(prompt)) {
        return /([0-9a-f-]{36})\.jsonl$/.exec(e.name)?.[1];
      }
    }
    return undefined;
  };
  return walk(path.join(codexHome, 'sessions'));
}

interface Sample {
  at: number;
  a?: Association;
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  return true;
}

describe('bench: terminal associations of default Codex TUIs', function () {
  const runs = Number(process.env[BENCH_RUNS_ENV] ?? 20);
  const scenarios = (process.env[BENCH_SCENARIOS_ENV] ?? 'one,apart,together').split(',') as Scenario[];
  const out: BenchResults = { startedAt: new Date().toISOString(), loadAvgStart: os.loadavg(), loadAvgEnd: [], results: [], failures: [] };
  let codex: HarnessCodex;
  let codexBin: string;

  before(async () => {
    codex = await HarnessCodex.start({ defaultText: 'done' });
    codexBin = prepareTuiHome(codex);
  });

  after(async () => {
    out.loadAvgEnd = os.loadavg();
    const file = process.env[BENCH_OUT_ENV];
    if (file) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(out, null, 2));
    }
    await stopDaemon(codex.home.codexHome);
    await codex?.dispose();
  });

  /** One run: start the TUIs, a prompt each, sample the associations until all are exact (or the limit). */
  async function oneRun(scenario: Scenario, run: number): Promise<void> {
    const a = await api();
    const count = scenario === 'one' ? 1 : 2;
    const terminals = Array.from({ length: count }, (_, i) => openCodexTerminal(codex, `${scenario} ${run} tui ${i + 1}`));
    const samples: Sample[][] = terminals.map(() => []);
    const sampler = setInterval(() => {
      terminals.forEach((t, i) => {
        const cur = a.terminalThread(t);
        const last = samples[i].at(-1);
        if (!last || last.a?.threadId !== cur?.threadId || last.a?.certainty !== cur?.certainty) {
          samples[i].push({ at: Date.now(), ...(cur ? { a: { ...cur } } : {}) });
        }
      });
    }, SAMPLE_MS);
    try {
      await Promise.all(terminals.map(shellReady));
      const launchedAt: number[] = [];
      const outputs: CommandOutput[] = [];
      for (const [i, t] of terminals.entries()) {
        if (i > 0 && scenario === 'apart') {
          await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
        }
        launchedAt.push(Date.now());
        outputs.push(launchTui(t, codexBin));
      }
      await Promise.all(terminals.map((t, i) => tuiPrompt(t, outputs[i])));
      const prompts = terminals.map((_, i) => `bench ${scenario} run ${run} terminal ${i + 1} ${Math.random().toString(36).slice(2, 8)}`);
      const submittedAt: number[] = [];
      for (const [i, t] of terminals.entries()) {
        if (i > 0 && scenario === 'apart') {
          // As a user who switches to the other terminal: its prompt goes in 1–2 s later.
          await new Promise((r) => setTimeout(r, 1000 + Math.random() * 1000));
        }
        await submit(t, outputs[i], prompts[i]);
        submittedAt.push(Date.now());
      }
      const truth: (string | undefined)[] = terminals.map(() => undefined);
      const settled = () => {
        prompts.forEach((p, i) => (truth[i] ??= threadOfPrompt(codex.home.codexHome, p)));
        return terminals.every((t, i) => truth[i] !== undefined && a.terminalThread(t)?.certainty === 'exact');
      };
      await waitUntil(settled, SETTLE_LIMIT_MS);
      await new Promise((r) => setTimeout(r, AFTER_EXACT_MS));
      clearInterval(sampler);
      terminals.forEach((t, i) => {
        const real = truth[i];
        if (!real) {
          out.failures.push(`${scenario} run ${run} terminal ${i + 1}: no rollout holds its prompt`);
          return;
        }
        const start = uuidV7Ms(real);
        const final = a.terminalThread(t);
        const outcome: Outcome = !final ? 'none' : final.threadId === real ? (final.certainty === 'exact' ? 'exact' : 'probable-right') : final.certainty === 'exact' ? 'exact-wrong' : 'probable-wrong';
        const wrong = samples[i].filter((s) => s.a && s.a.threadId !== real);
        const firstRight = samples[i].find((s) => s.a?.threadId === real);
        const firstExact = samples[i].find((s) => s.a?.threadId === real && s.a.certainty === 'exact');
        const r: TerminalResult = {
          scenario,
          run,
          terminal: i + 1,
          outcome,
          everWrongExact: wrong.some((s) => s.a!.certainty === 'exact'),
          everWrongProbable: wrong.some((s) => s.a!.certainty === 'probable'),
          launchedMs: launchedAt[i] - start,
          submittedMs: submittedAt[i] - start,
          ...(firstRight ? { firstRightMs: firstRight.at - start } : {}),
          ...(firstExact ? { firstExactMs: firstExact.at - start } : {}),
        };
        if (outcome !== 'exact' || wrong.length > 0) {
          r.detail = `truth ${real}, other terminal ${truth[1 - i] ?? '-'}; samples ${JSON.stringify(samples[i].map((s) => [s.at - start, s.a?.threadId.slice(-6), s.a?.certainty, s.a?.via]))}`;
        }
        out.results.push(r);
        log(`  ${scenario} #${run} terminal ${i + 1}: ${outcome}${r.everWrongExact ? ' (WRONG EXACT shown)' : ''} right after ${r.firstRightMs ?? '-'} ms, exact after ${r.firstExactMs ?? '-'} ms`);
        if (r.detail) log(`    ${r.detail}`);
      });
    } finally {
      clearInterval(sampler);
      for (const t of terminals) t.dispose();
      stopDaemon(codex.home.codexHome);
      await waitUntil(() => terminals.every((t) => !vscode.window.terminals.includes(t)), 10_000);
    }
  }

  it('screenshot: the status bar and the sidebar with two terminals running Codex TUIs', async function () {
    const request = process.env[SCREENSHOT_REQUEST_ENV];
    if (!request) {
      this.skip();
    }
    const a = await api();
    // Both terminals side by side in the editor area, so the picture shows both TUIs.
    const env = { CODEX_HOME: codex.home.codexHome };
    const one = vscode.window.createTerminal({ name: 'codex: api', cwd: codex.workspace, env, location: vscode.TerminalLocation.Editor });
    const two = vscode.window.createTerminal({ name: 'codex: docs', cwd: codex.workspace, env, location: { viewColumn: vscode.ViewColumn.Two } });
    await Promise.all([shellReady(one), shellReady(two)]);
    const o1 = launchTui(one, codexBin);
    await tuiPrompt(one, o1);
    const o2 = launchTui(two, codexBin);
    await tuiPrompt(two, o2);
    await submit(one, o1, 'Add pagination to the users endpoint');
    await waitUntil(() => a.terminalThread(one)?.certainty === 'exact', 30_000);
    await submit(two, o2, 'Update the README for the new flags');
    await waitUntil(() => [one, two].every((t) => a.terminalThread(t)?.certainty === 'exact'), 30_000);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('workbench.view.extension.codexThreadContext');
    one.show();
    await a.whenIdle();
    await new Promise((r) => setTimeout(r, 1000)); // the TUIs redraw after the panel moved
    const done = `${request!}.done`;
    fs.writeFileSync(request!, JSON.stringify({ at: Date.now() }));
    await waitUntil(() => fs.existsSync(done), 30_000);
    one.dispose();
    two.dispose();
    stopDaemon(codex.home.codexHome);
  });

  for (const scenario of scenarios) {
    it(`${scenario}: ${runs} runs`, async () => {
      for (let run = 1; run <= runs; run++) {
        try {
          await oneRun(scenario, run);
        } catch (err) {
          out.failures.push(`${scenario} run ${run}: ${(err as Error).message.split('\n')[0]}`);
          log(`  ${scenario} #${run} failed: ${(err as Error).message.slice(0, 500)}`);
        }
      }
    });
  }

});
