// The rule that picks a thread for a new server among the threads a Codex process has loaded.
// Codex creates a thread (its UUIDv7 time), then forks that thread's servers 11–31 ms later, so
// the thread a server belongs to is the newest one created before the server started. A thread
// loaded again by resume keeps its old id; its lock file is new, so the later of the two times
// counts. Threads that already run an instance of this server are never chosen.
export interface Candidate {
  threadId: string;
  /** Unix ms: the later of the id's UUIDv7 time and when this process loaded it (lock file time). */
  loadedAt: number;
}

/** Allowance for clock granularity between the id's time and the shim's own start time. */
const SLACK_MS = 50;

export function orderCandidates(candidates: Candidate[], shimStartMs: number): Candidate[] {
  const before = candidates.filter((c) => c.loadedAt <= shimStartMs + SLACK_MS).sort((a, b) => b.loadedAt - a.loadedAt);
  const after = candidates.filter((c) => c.loadedAt > shimStartMs + SLACK_MS).sort((a, b) => a.loadedAt - b.loadedAt);
  return [...before, ...after];
}
