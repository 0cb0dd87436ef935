// The rule that picks a thread for a new server among the threads its Codex process has loaded.
//
// Codex creates a thread (its UUIDv7 time, then its lock file 0–12 ms later) and forks that
// thread's servers 17–1118 ms after it (median 55 ms). When one Codex loads several threads at
// once (the IDE's app-server, the TUI's daemon), it orders nothing across them: spawn order
// matched creation order in only 34 of 80 measured bursts of 3. What does hold is that the shims
// of one server under one parent are spawned one per thread, and their pids are in spawn order.
// So (codex-facts.md, "Telling threads apart at spawn time"):
//
//  - Burst rule: among the unclaimed threads loaded within WINDOW_MS before the shim started, the
//    oldest is taken first, and the shims of one server claim in pid order: a shim whose
//    lower-pid siblings have not claimed yet leaves them the older threads (it takes the one at
//    its rank). Measured: right 152/241 first guesses where "newest first" was right 53/241.
//  - A thread that never gets servers (the TUI's helper thread with MCP disabled) stays
//    unclaimed; the window keeps it from attracting servers of threads loaded later, and a thread
//    this server was already moved away from by the per-call check is tried last.
//  - Where a candidate's cwd is known (its rollout is open) and one of them is the shim's own cwd,
//    candidates in other folders are dropped: a server without its own `cwd` runs in the thread's.
//  - Outside any burst (nothing loaded within the window): the newest thread loaded before the
//    shim started, then later ones oldest first (a thread loaded again by resume keeps its id;
//    its new lock file's time counts).
//
// Wrong guesses remain (about 1 in 3 in a burst): the per-call check corrects them.

import { compareCodeUnits } from '../compareCodeUnits';

export interface Candidate {
  threadId: string;
  /** Unix ms: the later of the id's UUIDv7 time and when this process loaded it (lock file time). */
  loadedAt: number;
  /** The thread's cwd, when known (from its rollout's first line). */
  cwd?: string;
  /** This server was moved away from this thread by the per-call check before: try it last. */
  passedOver?: boolean;
}

export interface PickInput {
  /** Unclaimed candidates only (threads without a live instance of this server). */
  candidates: Candidate[];
  shimStartMs: number;
  /** The shim's cwd, normalised like the candidates' cwd. */
  shimCwd?: string;
  /** Sibling shims of this server (same parent, same command line) with lower pids that have not claimed yet. */
  rank: number;
}

/** How far back a thread's load time may lie and still count as part of the shim's burst. */
export const WINDOW_MS = 2000;
/** Allowance for clock granularity between the id's time and the shim's own start time. */
const SLACK_MS = 50;

/** The candidates in the order to try them (the first is the guess). */
export function orderCandidates(input: PickInput): Candidate[] {
  const sameCwd = input.shimCwd !== undefined && input.candidates.some((c) => c.cwd === input.shimCwd);
  const pool = sameCwd ? input.candidates.filter((c) => c.cwd === undefined || c.cwd === input.shimCwd) : input.candidates;
  const horizon = input.shimStartMs + SLACK_MS;
  const inWindow = pool.filter((c) => c.loadedAt <= horizon && c.loadedAt >= input.shimStartMs - WINDOW_MS);
  const rest = pool.filter((c) => !inWindow.includes(c));
  const byLoad = (a: Candidate, b: Candidate): number => a.loadedAt - b.loadedAt || compareCodeUnits(a.threadId, b.threadId);
  const lastIfPassedOver = (list: Candidate[]): Candidate[] => [...list.filter((c) => !c.passedOver), ...list.filter((c) => c.passedOver)];

  const before = rest.filter((c) => c.loadedAt <= horizon).sort((a, b) => byLoad(b, a));
  const after = rest.filter((c) => c.loadedAt > horizon).sort(byLoad);
  if (inWindow.length === 0) {
    return lastIfPassedOver([...before, ...after]);
  }
  const burst = lastIfPassedOver(inWindow.sort(byLoad));
  const mine = Math.min(input.rank, burst.length - 1);
  return [burst[mine], ...burst.filter((_, i) => i !== mine), ...lastIfPassedOver([...before, ...after])];
}
