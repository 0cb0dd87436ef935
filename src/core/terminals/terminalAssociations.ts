// Which integrated terminal runs which Codex thread. Pure state: the VS Code side feeds it what it
// sees (terminals, the Codex processes under each shell, command lines, the TUI's turn signals,
// thread changes) and shows what it answers.
//
// Exact signals win: a Codex process in the terminal that holds the thread's lock file (exec,
// `--no-daemon`), a trusted `codex resume <id>` command line, the TUI's own reconnect line, or a
// turn that ran in this terminal while exactly one of its candidate threads became active. Only a
// turn counts: the TUI also says `working` for a few ms when it is not running one (see TuiState).
// Without one, the default TUI's thread lives in a shared daemon and nothing names its owner, so
// the answer is a guess from the working directory and start time, shown as "probable" and never
// as exact (see shared codex facts: two TUIs started 1.5 s apart created threads 25 ms apart).
import type { CodexInTerminal } from './codexInProcessTree';
import type { CommandLineThread, TuiSignal } from './terminalSignals';

export type Certainty = 'exact' | 'probable';
export type AssociationSource = 'process-lock' | 'command-line' | 'reconnect-line' | 'turn-activity' | 'cwd-and-time';

export interface TerminalAssociation {
  readonly threadId: string;
  readonly certainty: Certainty;
  readonly via: AssociationSource;
}

/** What the associations need to know of a thread (a subset of discovery's CodexThread). */
export interface ThreadHint {
  readonly id: string;
  readonly live: boolean;
  readonly cwd?: string;
  readonly startedAt?: number;
  readonly forkedFromId?: string;
}

/** A terminal that ran a thread before (only proven associations are kept). */
export interface PastTerminal {
  readonly terminalName: string;
  readonly until: number;
}

export interface TerminalAssociationsOptions {
  readonly now?: () => number;
  /** Runs `fn` once after `ms` (a one-shot timer; nothing runs while idle). */
  readonly schedule?: (ms: number, fn: () => void) => void;
  /**
   * A turn still running this long after it started is decided on the activity seen so far (a long
   * turn). A finished one is decided two slacks after its `done`. Default 4 s.
   */
  readonly activityAfterMs?: number;
  /**
   * Slack on both sides of a turn: a thread's activity counts from this long before the turn's
   * `working` arrived (the daemon may write before the signal reaches the extension) to this long
   * after its `done`. Default 1 s.
   */
  readonly activitySlackMs?: number;
  /** A thread created this long before the TUI process started still counts as its. Default 1 s. */
  readonly startSlackMs?: number;
}

interface Confirmed {
  readonly threadId: string;
  readonly via: AssociationSource;
  readonly atMs: number;
  /** The TUI switched sessions since (`/resume`, `/new`, `/fork`): probably still this thread, no longer proven. */
  readonly stale?: boolean;
}

/** A `working` the TUI said, and how it ended so far. */
interface Turn {
  readonly atMs: number;
  /** `done`: the turn ran; `idle`: no turn after all (a start-up or `/new` blip, or interrupted). */
  end?: 'done' | 'idle';
  endedAtMs?: number;
  decided?: boolean;
}

/** A turn, and the span in which a thread's activity counts for it. */
interface TurnWindow {
  readonly turnAtMs: number;
  readonly fromMs: number;
  readonly toMs: number;
}

interface TerminalState {
  name: string;
  processes: readonly CodexInTerminal[];
  /** When the Codex run in this terminal began (process start, or the command's time). */
  runStartedAtMs?: number;
  cwd?: string;
  /** A Codex command line seen through shell integration, while it runs. */
  command?: { readonly thread?: CommandLineThread; readonly atMs: number; readonly trusted: boolean };
  confirmed?: Confirmed;
  turns: Turn[];
  /** Turns whose window saw several candidate threads active: decided once other terminals' threads are proven. */
  undecidedTurns: TurnWindow[];
  /**
   * The TUI said `idle` since its last header or turn: a slash command's popup does (`/new`,
   * `/resume`, `/fork`), a redraw after a resize, which repeats the header, does not.
   */
  idleSinceHeader: boolean;
  /** Shown last, to record history when it changes. */
  shown?: TerminalAssociation;
  /** The thread last proven to run here: what history records when the terminal leaves it. */
  provenThreadId?: string;
}

const MAX_KEPT = 8;

/**
 * Threads the terminal's own Codex processes hold. The TUI's shared daemon (`codex app-server
 * --managed-daemon`) can be a child of the first TUI that started it, yet it holds the threads of
 * every TUI: its locks say nothing about this terminal.
 */
function heldThreads(processes: readonly CodexInTerminal[]): string[] {
  return [...new Set(processes.filter((p) => p.mode !== 'app-server').flatMap((p) => p.lockedThreadIds))];
}

export class TerminalAssociations {
  private readonly terminals = new Map<string, TerminalState>();
  private readonly threads = new Map<string, ThreadHint>();
  private readonly activity = new Map<string, number[]>();
  private readonly past = new Map<string, PastTerminal[]>();
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private readonly schedule: (ms: number, fn: () => void) => void;
  private readonly afterMs: number;
  private readonly turnSlackMs: number;
  private readonly slackMs: number;

  constructor(options: TerminalAssociationsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? ((ms, fn) => setTimeout(fn, ms).unref());
    this.afterMs = options.activityAfterMs ?? 4000;
    this.turnSlackMs = options.activitySlackMs ?? 1000;
    this.slackMs = options.startSlackMs ?? 1000;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  openTerminal(key: string, name: string): void {
    if (!this.terminals.has(key)) {
      this.terminals.set(key, { name, processes: [], turns: [], undecidedTurns: [], idleSinceHeader: false });
    }
  }

  renameTerminal(key: string, name: string): void {
    const t = this.terminals.get(key);
    if (t && t.name !== name) {
      t.name = name;
      this.changed();
    }
  }

  closeTerminal(key: string): void {
    const t = this.terminals.get(key);
    if (t) {
      this.terminals.delete(key);
      this.leave(t);
      this.changed();
    }
  }

  /** The Codex processes now under the terminal's shell (an empty list: none runs). */
  setProcesses(key: string, processes: readonly CodexInTerminal[], shellCwd?: string): void {
    const t = this.terminals.get(key);
    if (!t) {
      return;
    }
    const wasRunning = t.processes.length > 0;
    if (processes.length === 0 && wasRunning) {
      this.endRun(t);
    }
    t.processes = processes;
    if (processes.length > 0) {
      const starts = processes.map((p) => p.startedAtMs).filter((s): s is number => s !== undefined);
      if (!wasRunning || t.runStartedAtMs === undefined) {
        t.runStartedAtMs = starts.length > 0 ? Math.min(...starts) : (t.runStartedAtMs ?? this.now());
      }
      t.cwd = processes.find((p) => p.cwd)?.cwd ?? shellCwd ?? t.cwd;
    }
    this.changed();
  }

  /**
   * A Codex command started in the terminal (shell integration; other commands are not passed in).
   * `thread`: the thread its command line names; `trusted`: VS Code's confidence in the line is high.
   */
  codexCommandStarted(key: string, command: { thread?: CommandLineThread; trusted: boolean; cwd?: string }): void {
    const t = this.terminals.get(key);
    if (!t) {
      return;
    }
    this.endRun(t);
    t.runStartedAtMs = this.now();
    t.cwd = command.cwd ?? t.cwd;
    t.command = { ...(command.thread ? { thread: command.thread } : {}), atMs: this.now(), trusted: command.trusted };
    this.changed();
  }

  /** The command the terminal ran has finished (shell integration). */
  commandEnded(key: string): void {
    const t = this.terminals.get(key);
    if (t) {
      this.endRun(t);
      this.changed();
    }
  }

  tuiSignal(key: string, signal: TuiSignal): void {
    const t = this.terminals.get(key);
    if (!t) {
      return;
    }
    if (signal.kind === 'reconnect') {
      // Printed by the TUI as it exits: it names the thread it drove.
      t.confirmed = { threadId: signal.threadId, via: 'reconnect-line', atMs: this.now() };
      this.decideUndecidedTurns();
      this.changed();
      return;
    }
    if (signal.kind === 'session') {
      // The TUI shows another session now (after `/resume` it may be an old thread that nothing
      // else marks): what was proven no longer is, and turns from before prove nothing now.
      if (!t.idleSinceHeader) {
        return; // a redraw (after a resize): the same session
      }
      t.idleSinceHeader = false;
      if (t.confirmed) {
        t.confirmed = { ...t.confirmed, stale: true };
      }
      t.turns = [];
      t.undecidedTurns = [];
      this.changed();
      return;
    }
    t.idleSinceHeader = signal.state === 'idle';
    const last = t.turns.at(-1);
    if (signal.state === 'working') {
      const turn: Turn = { atMs: this.now() };
      t.turns = [...t.turns, turn].slice(-MAX_KEPT);
      this.schedule(this.afterMs + 10, () => this.confirmByActivity(t, turn));
    } else if (last && last.end === undefined) {
      last.end = signal.state === 'done' ? 'done' : 'idle';
      last.endedAtMs = this.now();
      if (last.end === 'done') {
        // Its window closes a second after `done`: decide as soon as that activity can have been seen.
        this.schedule(2 * this.turnSlackMs + 10, () => this.confirmByActivity(t, last));
      }
    }
  }

  /** The current thread list (discovery's snapshot). */
  setThreads(threads: readonly ThreadHint[]): void {
    this.threads.clear();
    for (const th of threads) {
      this.threads.set(th.id, th);
    }
    this.changed();
  }

  /** A thread showed activity (its rollout or the daemon said so). */
  threadActivity(threadId: string, atMs = this.now()): void {
    this.activity.set(threadId, [...(this.activity.get(threadId) ?? []), atMs].slice(-MAX_KEPT));
    // Activity noticed late may settle a turn that saw too little or too much.
    if ([...this.terminals.values()].some((t) => t.undecidedTurns.length > 0) && this.decideUndecidedTurns()) {
      this.changed();
    }
  }

  current(key: string): TerminalAssociation | undefined {
    const t = this.terminals.get(key);
    return t ? this.associationOf(key, t) : undefined;
  }

  /** The terminal running a thread now, if any. */
  terminalOf(threadId: string): { key: string; name: string; association: TerminalAssociation } | undefined {
    for (const [key, t] of this.terminals) {
      const a = this.associationOf(key, t);
      if (a?.threadId === threadId) {
        return { key, name: t.name, association: a };
      }
    }
    return undefined;
  }

  /** Terminals that ran a thread before (most recent last). */
  history(threadId: string): readonly PastTerminal[] {
    return this.past.get(threadId) ?? [];
  }

  private associationOf(key: string, t: TerminalState): TerminalAssociation | undefined {
    const running = t.processes.length > 0 || t.command !== undefined;
    if (!running) {
      return undefined;
    }
    const locked = heldThreads(t.processes);
    const named = t.command?.thread;
    const preferred = t.confirmed?.threadId ?? (named?.verb === 'resume' ? named.threadId : undefined);
    if (locked.length === 1) {
      return { threadId: locked[0], certainty: 'exact', via: 'process-lock' };
    }
    if (locked.length > 1) {
      // A `--no-daemon` TUI holds its helper thread's lock too: only another signal tells which.
      return preferred && locked.includes(preferred)
        ? { threadId: preferred, certainty: 'exact', via: t.confirmed?.via ?? 'command-line' }
        : { threadId: this.newest(locked) ?? locked[0], certainty: 'probable', via: 'cwd-and-time' };
    }
    const candidates = this.candidates(key, t);
    if (t.confirmed) {
      // A newer candidate (after `/new`, or another TUI's thread nobody claimed yet) or a session
      // switch makes the confirmed thread uncertain again until the next turn proves one of them.
      const newer = t.confirmed.stale || candidates.some((id) => (this.threads.get(id)?.startedAt ?? 0) > t.confirmed!.atMs);
      return { threadId: t.confirmed.threadId, certainty: newer ? 'probable' : 'exact', via: newer ? 'cwd-and-time' : t.confirmed.via };
    }
    if (named?.verb === 'resume') {
      return { threadId: named.threadId, certainty: t.command!.trusted ? 'exact' : 'probable', via: 'command-line' };
    }
    if (named?.verb === 'fork') {
      const forked = candidates.find((id) => this.threads.get(id)?.forkedFromId === named.threadId);
      if (forked) {
        return { threadId: forked, certainty: t.command!.trusted ? 'exact' : 'probable', via: 'command-line' };
      }
    }
    const guess = this.newest(candidates);
    return guess ? { threadId: guess, certainty: 'probable', via: 'cwd-and-time' } : undefined;
  }

  /** Live threads that could be this terminal's: its cwd, created after its run began, not another terminal's for sure. */
  private candidates(key: string, t: TerminalState): string[] {
    const runStart = t.runStartedAtMs;
    if (runStart === undefined) {
      return [];
    }
    return this.liveThreadsFor(key, t).filter((id) => (this.threads.get(id)?.startedAt ?? -Infinity) >= runStart - this.slackMs);
  }

  /**
   * Live threads in the terminal's cwd that no other terminal has for sure, whenever they were
   * created: what a turn may have run in (`/resume` picks up an older thread).
   */
  private liveThreadsFor(key: string, t: TerminalState): string[] {
    const takenElsewhere = new Set<string>();
    for (const [otherKey, other] of this.terminals) {
      if (otherKey !== key) {
        heldThreads(other.processes).forEach((id) => takenElsewhere.add(id));
        if (other.confirmed && !other.confirmed.stale) {
          takenElsewhere.add(other.confirmed.threadId);
        }
      }
    }
    const out: string[] = [];
    for (const th of this.threads.values()) {
      if (!th.live || takenElsewhere.has(th.id)) {
        continue;
      }
      if (t.cwd !== undefined && th.cwd !== undefined && th.cwd !== t.cwd) {
        continue;
      }
      out.push(th.id);
    }
    return out;
  }

  private newest(ids: readonly string[]): string | undefined {
    let best: string | undefined;
    for (const id of ids) {
      if (best === undefined || (this.threads.get(id)?.startedAt ?? 0) > (this.threads.get(best)?.startedAt ?? 0)) {
        best = id;
      }
    }
    return best;
  }

  /**
   * A turn's time is up: decide it now, or keep it until other terminals' threads are proven. A
   * `working` that went back to `idle` without `done` was no turn: nothing to decide. A finished
   * turn's window ends shortly after its `done`, so the next terminal's turn a second later does
   * not fall into it, and it is decided once activity at its end can have been seen; one still
   * working after `activityAfterMs` (a long turn) is decided on what it saw so far.
   */
  private confirmByActivity(t: TerminalState, turn: Turn): void {
    const key = [...this.terminals].find(([, v]) => v === t)?.[0];
    if (key === undefined || !t.turns.includes(turn) || turn.end === 'idle' || turn.decided) {
      return; // closed, ended its run meanwhile, no turn, or decided already
    }
    const toMs = turn.endedAtMs !== undefined ? turn.endedAtMs + this.turnSlackMs : turn.atMs + this.afterMs;
    if (turn.endedAtMs !== undefined && toMs + this.turnSlackMs > this.now()) {
      // A turn that ended late: wait until activity at the end of its window can have been noticed.
      this.schedule(toMs + this.turnSlackMs - this.now(), () => this.confirmByActivity(t, turn));
      return;
    }
    turn.decided = true;
    const window: TurnWindow = { turnAtMs: turn.atMs, fromMs: turn.atMs - this.turnSlackMs, toMs };
    if (this.confirmTurn(key, t, window)) {
      this.decideUndecidedTurns();
      this.changed();
    } else {
      t.undecidedTurns = [...t.undecidedTurns, window].slice(-MAX_KEPT);
    }
  }

  /**
   * A turn ran in `window`: if exactly one of the threads it may have run in became active then,
   * it is this terminal's. Threads proven to run in other terminals are left out, so proving one
   * terminal can leave a single active thread in another's window.
   */
  private confirmTurn(key: string, t: TerminalState, window: TurnWindow): boolean {
    const active = this.liveThreadsFor(key, t)
      .concat(t.confirmed ? [t.confirmed.threadId] : [])
      .filter((id, i, all) => all.indexOf(id) === i)
      .filter((id) => (this.activity.get(id) ?? []).some((at) => at >= window.fromMs && at <= window.toMs));
    if (active.length !== 1) {
      return false;
    }
    t.confirmed = { threadId: active[0], via: 'turn-activity', atMs: window.turnAtMs };
    t.undecidedTurns = [];
    return true;
  }

  /** A thread was just proven to run in some terminal, or showed late activity: retry the undecided turns (newest first). */
  private decideUndecidedTurns(): boolean {
    let decided = false;
    for (let progress = true; progress; ) {
      progress = false;
      for (const [key, t] of this.terminals) {
        const open = t.undecidedTurns.filter((w) => w.turnAtMs > (t.confirmed?.atMs ?? -Infinity)).reverse();
        if (open.some((w) => this.confirmTurn(key, t, w))) {
          progress = decided = true;
        }
      }
    }
    return decided;
  }

  /** The run in a terminal is over (what it showed becomes history in changed()). */
  private endRun(t: TerminalState): void {
    t.processes = [];
    t.command = undefined;
    t.confirmed = undefined;
    t.runStartedAtMs = undefined;
    t.turns = [];
    t.undecidedTurns = [];
    t.idleSinceHeader = false;
  }

  /** The terminal no longer runs the thread it showed: if that was proven, it becomes history. */
  private leave(t: TerminalState): void {
    if (t.shown && t.provenThreadId === t.shown.threadId) {
      const entry: PastTerminal = { terminalName: t.name, until: this.now() };
      this.past.set(t.shown.threadId, [...(this.past.get(t.shown.threadId) ?? []), entry].slice(-MAX_KEPT));
    }
    t.provenThreadId = undefined;
  }

  private changed(): void {
    // A terminal that leaves a thread (its run ended, or `/new` moved it) leaves a history entry.
    for (const [key, t] of this.terminals) {
      const now = this.associationOf(key, t);
      if (t.shown && t.shown.threadId !== now?.threadId) {
        this.leave(t);
      }
      if (now?.certainty === 'exact') {
        t.provenThreadId = now.threadId;
      }
      t.shown = now;
    }
    for (const l of this.listeners) {
      l();
    }
  }
}
