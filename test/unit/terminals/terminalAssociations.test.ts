import * as assert from 'node:assert/strict';
import type { CodexInTerminal } from '../../../src/core/terminals/codexInProcessTree';
import { TerminalAssociations, type ThreadHint } from '../../../src/core/terminals/terminalAssociations';

const T0 = 1_760_000_000_000;
/** A UUIDv7-shaped id; `n` tells threads apart. */
const id = (n: number): string => `019a2b3c-4d5e-7f60-8a1b-${String(n).padStart(12, '0')}`;

/** Associations on a clock the test moves, with timers the test fires. */
function setup(): { a: TerminalAssociations; at: (ms: number) => void; fire: () => void } {
  let now = T0;
  let timers: { due: number; fn: () => void }[] = [];
  const a = new TerminalAssociations({ now: () => now, schedule: (ms, fn) => timers.push({ due: now + ms, fn }) });
  return {
    a,
    at: (ms) => {
      now = T0 + ms;
    },
    fire: () => {
      const due = timers.filter((t) => t.due <= now);
      timers = timers.filter((t) => t.due > now);
      due.forEach((t) => t.fn());
    },
  };
}

const tui = (pid: number, startMs: number, cwd = '/w', locks: string[] = []): CodexInTerminal => ({
  pid,
  argv: ['codex'],
  mode: locks.length ? 'tui-no-daemon' : 'tui',
  startedAtMs: T0 + startMs,
  cwd,
  lockedThreadIds: locks,
});
const thread = (n: number, startMs: number, cwd = '/w', extra: Partial<ThreadHint> = {}): ThreadHint => ({ id: id(n), live: true, cwd, startedAt: T0 + startMs, ...extra });

/** Terminal t1 (named `name`) with its TUI started at 0, in the folder of `threads`. */
function oneTui(a: TerminalAssociations, threads: ThreadHint[], name = 'codex'): void {
  a.openTerminal('t1', name);
  a.setThreads(threads);
  a.setProcesses('t1', [tui(10, 0)]);
}

/** Terminals "first" (t1, its TUI started at 0) and "second" (t2, its TUI started at `secondStartMs`) in one folder, with `threads`. */
function twoTuis(a: TerminalAssociations, threads: ThreadHint[], secondStartMs: number): void {
  a.openTerminal('t1', 'first');
  a.openTerminal('t2', 'second');
  a.setThreads(threads);
  a.setProcesses('t1', [tui(10, 0)]);
  a.setProcesses('t2', [tui(11, secondStartMs)]);
}

describe('terminal associations', () => {
  it('a Codex holding one thread lock in the terminal is exact', () => {
    const { a } = setup();
    a.openTerminal('t1', 'bash');
    a.setProcesses('t1', [{ ...tui(10, 0, '/w', [id(1)]), mode: 'exec' }]);
    assert.deepEqual(a.current('t1'), { threadId: id(1), certainty: 'exact', via: 'process-lock' });
    assert.equal(a.terminalOf(id(1))?.name, 'bash');
  });

  it('a trusted `codex resume <id>` is exact; an untrusted one is probable', () => {
    const { a } = setup();
    a.openTerminal('t1', 'one');
    a.openTerminal('t2', 'two');
    a.codexCommandStarted('t1', { thread: { verb: 'resume', threadId: id(5) }, trusted: true });
    a.codexCommandStarted('t2', { thread: { verb: 'resume', threadId: id(6) }, trusted: false });
    assert.deepEqual(a.current('t1'), { threadId: id(5), certainty: 'exact', via: 'command-line' });
    assert.equal(a.current('t2')?.certainty, 'probable');
  });

  it('a default TUI is probable from cwd and start time, then exact once a turn makes only its thread active', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, -60_000), thread(2, 300), thread(3, 320, '/elsewhere')]);
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'probable', via: 'cwd-and-time' });
    at(5000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(2), T0 + 5200);
    at(10_000);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'exact', via: 'turn-activity' });
  });

  it('two TUIs in one folder started 1.5 s apart each end up exact on their own thread after their first turns', () => {
    const { a, at, fire } = setup();
    // Their threads were created 25 ms apart, in the opposite order of the TUIs.
    twoTuis(a, [thread(1, 1525), thread(2, 1500)], 1500);
    // Before any turn both are guesses.
    assert.equal(a.current('t1')?.certainty, 'probable');
    assert.equal(a.current('t2')?.certainty, 'probable');
    at(10_000);
    a.tuiSignal('t2', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 10_100);
    at(15_000);
    fire();
    assert.deepEqual(a.current('t2'), { threadId: id(1), certainty: 'exact', via: 'turn-activity' });
    at(20_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(2), T0 + 20_050);
    at(25_000);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'exact', via: 'turn-activity' });
    assert.equal(a.terminalOf(id(1))?.name, 'second');
  });

  it("a TUI's start-up `working` blip (back to idle at once) proves nothing, even when another TUI's first turn falls in its window", () => {
    // Seen in CI: the second TUI blipped `working` while it connected to a cold daemon, and the
    // first TUI's thread showed its first turn 2 s later: the second terminal was shown exact on
    // the first's thread.
    const { a, at, fire } = setup();
    twoTuis(a, [thread(1, 3000), thread(2, 3020)], 1500);
    at(3300);
    a.tuiSignal('t2', { kind: 'turn', state: 'working' });
    at(3310);
    a.tuiSignal('t2', { kind: 'turn', state: 'idle' });
    at(5300);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 5350);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    at(7400);
    fire(); // the second terminal's blip window closes
    assert.equal(a.current('t2')?.certainty, 'probable');
    at(9400);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(1), certainty: 'exact', via: 'turn-activity' });
    assert.deepEqual(a.current('t2'), { threadId: id(2), certainty: 'probable', via: 'cwd-and-time' });
  });

  it('an interrupted turn (working, then idle without done) proves nothing; a turn still working when its window closes does', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, 100)]);
    at(5000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 5100);
    at(6000);
    a.tuiSignal('t1', { kind: 'turn', state: 'idle' });
    at(10_000);
    fire();
    assert.equal(a.current('t1')?.certainty, 'probable');
    at(12_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 12_100);
    at(17_000);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(1), certainty: 'exact', via: 'turn-activity' });
  });

  it("a finished turn's window closes a second after its `done`: another thread starting 2 s after it does not make it ambiguous", () => {
    const { a, at, fire } = setup();
    twoTuis(a, [thread(1, 1500), thread(2, 1520)], 1500);
    at(10_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 10_050);
    at(10_300);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    a.threadActivity(id(2), T0 + 12_400); // the other terminal's turn, while t1's 4 s are not up
    at(14_100);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(1), certainty: 'exact', via: 'turn-activity' });
  });

  it('a short turn is decided 2 s after its `done`, without waiting for the 4 s a running turn gets', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, 100), thread(2, 200)]);
    at(10_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(2), T0 + 10_050);
    at(10_200);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    at(12_100);
    fire();
    assert.equal(a.current('t1')?.certainty, 'probable', 'not before activity a second after done can have been seen');
    at(12_300);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'exact', via: 'turn-activity' });
    at(14_100);
    fire(); // the 4 s timer of the same turn changes nothing
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'exact', via: 'turn-activity' });
  });

  it('a turn that ends late is decided only once activity up to a second after its end can have been seen', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, 100), thread(2, 200)], 'first');
    at(10_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 10_100);
    at(13_800);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    at(14_100);
    fire(); // 4 s are up, but the window runs to 14.8 s
    assert.equal(a.current('t1')?.certainty, 'probable');
    a.threadActivity(id(2), T0 + 14_500);
    at(15_900);
    fire();
    assert.equal(a.current('t1')?.certainty, 'probable', 'two threads were active in the window');
  });

  it('activity noticed after a turn was left undecided settles it', () => {
    const { a, at, fire } = setup();
    twoTuis(a, [thread(1, 100), thread(2, 200)], 50);
    at(10_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    at(10_200);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    at(14_100);
    fire(); // no activity seen yet: undecided
    assert.equal(a.current('t1')?.certainty, 'probable');
    a.threadActivity(id(2), T0 + 10_080); // the rollout's write, noticed late
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'exact', via: 'turn-activity' });
  });

  it('a turn during which two candidate threads were active confirms nothing', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, 100), thread(2, 200)], 'first');
    at(5000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 5100);
    a.threadActivity(id(2), T0 + 6000);
    at(10_000);
    fire();
    assert.equal(a.current('t1')?.certainty, 'probable');
  });

  it('two TUIs whose first prompts went in 1.5 s apart: the later one is proven first, and that proves the earlier one too', () => {
    const { a, at, fire } = setup();
    twoTuis(a, [thread(1, 1525), thread(2, 1500)], 1500);
    // The first terminal's turn window (1 s before to 4 s after) also sees the second's thread start.
    at(10_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(2), T0 + 10_200);
    at(11_500);
    a.tuiSignal('t2', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 11_700);
    at(14_100);
    fire(); // the first terminal's window closes: two threads were active, nothing proven yet
    assert.equal(a.current('t1')?.certainty, 'probable');
    at(15_600);
    fire(); // the second's window saw only thread 1: proven, which leaves thread 2 alone in the first's window
    assert.deepEqual(a.current('t2'), { threadId: id(1), certainty: 'exact', via: 'turn-activity' });
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'exact', via: 'turn-activity' });
  });

  it('two prompts that went in at once prove nothing: both stay probable', () => {
    const { a, at, fire } = setup();
    twoTuis(a, [thread(1, 20), thread(2, 0)], 0);
    at(10_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.tuiSignal('t2', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 10_100);
    a.threadActivity(id(2), T0 + 10_150);
    at(15_000);
    fire();
    assert.equal(a.current('t1')?.certainty, 'probable');
    assert.equal(a.current('t2')?.certainty, 'probable');
  });

  it('`/new` makes the confirmed thread uncertain, and the next turn moves the terminal with a history entry', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, 100)]);
    at(5000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 5100);
    at(10_000);
    fire();
    assert.equal(a.current('t1')?.certainty, 'exact');
    at(12_000);
    a.setThreads([thread(1, 100), thread(2, 12_000)]);
    assert.deepEqual(a.current('t1'), { threadId: id(1), certainty: 'probable', via: 'cwd-and-time' });
    at(15_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(2), T0 + 15_200);
    at(20_000);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'exact', via: 'turn-activity' });
    assert.deepEqual(a.history(id(1)).map((h) => h.terminalName), ['codex']);
  });

  it('`/resume` of a thread older than the TUI: its header makes the terminal probable at once, and the next turn proves the resumed thread', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, -3_600_000), thread(2, 100)]);
    at(5000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(2), T0 + 5100);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    at(8000);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(2), certainty: 'exact', via: 'turn-activity' });
    at(10_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'idle' }); // `/resume` typed: its popup
    at(14_000);
    a.tuiSignal('t1', { kind: 'session' }); // a session picked: the TUI prints its header
    assert.equal(a.current('t1')?.certainty, 'probable');
    at(20_000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 20_100);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    at(23_000);
    fire();
    assert.deepEqual(a.current('t1'), { threadId: id(1), certainty: 'exact', via: 'turn-activity' });
    assert.deepEqual(a.history(id(2)).map((h) => h.terminalName), ['codex']);
  });

  it('the header a TUI repeats when it redraws after a resize (no `idle` before it) keeps the association exact', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, 100)]);
    a.tuiSignal('t1', { kind: 'session' });
    a.tuiSignal('t1', { kind: 'turn', state: 'idle' });
    at(5000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 5100);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    at(8000);
    fire();
    a.tuiSignal('t1', { kind: 'session' });
    a.tuiSignal('t1', { kind: 'session' });
    assert.deepEqual(a.current('t1'), { threadId: id(1), certainty: 'exact', via: 'turn-activity' });
  });

  it('a turn from before a session switch, decided after it, proves nothing', () => {
    const { a, at, fire } = setup();
    oneTui(a, [thread(1, 100), thread(2, 200)]);
    at(5000);
    a.tuiSignal('t1', { kind: 'turn', state: 'working' });
    a.threadActivity(id(1), T0 + 5100);
    a.tuiSignal('t1', { kind: 'turn', state: 'done' });
    at(5500);
    a.tuiSignal('t1', { kind: 'turn', state: 'idle' });
    a.tuiSignal('t1', { kind: 'session' });
    at(9000);
    fire();
    assert.equal(a.current('t1')?.certainty, 'probable');
  });

  it('the reconnect line at exit names the thread, and the run ends into history when Codex is gone', () => {
    const { a, at } = setup();
    oneTui(a, [thread(1, 100), thread(2, 150)]);
    at(30_000);
    a.tuiSignal('t1', { kind: 'reconnect', threadId: id(1) });
    assert.deepEqual(a.current('t1'), { threadId: id(1), certainty: 'exact', via: 'reconnect-line' });
    a.setProcesses('t1', []);
    assert.equal(a.current('t1'), undefined);
    assert.deepEqual(a.history(id(1)), [{ terminalName: 'codex', until: T0 + 30_000 }]);
  });

  it('a guess that is replaced leaves no history; a proven thread does', () => {
    const { a, at } = setup();
    oneTui(a, [thread(1, 100)]);
    assert.equal(a.current('t1')?.certainty, 'probable');
    at(1000);
    a.setProcesses('t1', []);
    assert.deepEqual(a.history(id(1)), []);
  });

  it('closing a terminal ends its association', () => {
    const { a } = setup();
    a.openTerminal('t1', 'bash');
    a.setProcesses('t1', [{ ...tui(10, 0, '/w', [id(1)]), mode: 'exec' }]);
    a.closeTerminal('t1');
    assert.equal(a.current('t1'), undefined);
    assert.equal(a.terminalOf(id(1)), undefined);
    assert.equal(a.history(id(1))[0]?.terminalName, 'bash');
  });

  it('a thread another terminal holds exactly is never this terminal\'s guess', () => {
    const { a } = setup();
    a.openTerminal('t1', 'exec');
    a.openTerminal('t2', 'tui');
    a.setThreads([thread(1, 100), thread(2, 50)]);
    a.setProcesses('t1', [{ ...tui(10, 0, '/w', [id(1)]), mode: 'exec' }]);
    a.setProcesses('t2', [tui(11, 0)]);
    assert.equal(a.current('t2')?.threadId, id(2));
  });

  it('the locks of a TUI daemon that runs as a child of the first TUI say nothing about that terminal', () => {
    const { a } = setup();
    a.openTerminal('t1', 'first');
    a.setThreads([thread(1, 100), thread(2, 200)]);
    const daemon: CodexInTerminal = { pid: 20, argv: ['codex', 'app-server', '--listen', 'unix://', '--managed-daemon'], mode: 'app-server', lockedThreadIds: [id(2)] };
    a.setProcesses('t1', [tui(10, 0), daemon]);
    assert.notEqual(a.current('t1')?.certainty, 'exact');
  });

  it('a terminal running no Codex has no association, whatever threads exist', () => {
    const { a } = setup();
    a.openTerminal('t1', 'bash');
    a.setThreads([thread(1, 100)]);
    assert.equal(a.current('t1'), undefined);
  });
});
