// What the terminal-association bench (inside the extension host) hands to its runner (bench/terminals.ts).

export const BENCH_OUT_ENV = 'CODEX_TC_BENCH_OUT';
export const BENCH_RUNS_ENV = 'CODEX_TC_BENCH_RUNS';
export const BENCH_SCENARIOS_ENV = 'CODEX_TC_BENCH_SCENARIOS';
export const SCREENSHOT_REQUEST_ENV = 'CODEX_TC_SCREENSHOT_REQUEST';

export type Scenario = 'one' | 'apart' | 'together';
export type Outcome = 'exact' | 'probable-right' | 'probable-wrong' | 'exact-wrong' | 'none';

/** One terminal of one run. Times are ms since the thread's start (its UUIDv7 time). */
export interface TerminalResult {
  scenario: Scenario;
  run: number;
  terminal: number;
  /** The association after the first turn (when all terminals were exact, or at the time limit). */
  outcome: Outcome;
  /** An exact association to another thread was shown at some sample. */
  everWrongExact: boolean;
  /** A probable association to another thread was shown at some sample. */
  everWrongProbable: boolean;
  launchedMs: number;
  submittedMs: number;
  firstRightMs?: number;
  firstExactMs?: number;
  /** What was wrong, when something was. */
  detail?: string;
}

export interface BenchResults {
  startedAt: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
  results: TerminalResult[];
  failures: string[];
}

