// Codex in VS Code's integrated terminals: the real Codex CLI (pinned, mock model) typed into real
// terminals of a real VS Code. What a user checks: the thread row names the terminal, the status
// bar follows the active terminal, the thread's context file records it, and it ends with the
// terminal.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HarnessCodex } from '../support/harnessCodex';
import {
  api,
  eventually,
  openCodexTerminal,
  prepareTuiHome,
  shellReady,
  startTui as startTuiIn,
  stopDaemon,
  submit,
  threadRow,
  type Association,
  type CommandOutput,
} from '../support/codexTerminals';

/** The id of the thread whose context file in the store records this terminal, if any. */
function contextFileTerminal(codex: HarnessCodex, threadId: string): { name: string; processId?: number } | undefined {
  const workspaces = path.join(codex.home.codexHome, 'thread-context', 'workspaces');
  for (const key of fs.existsSync(workspaces) ? fs.readdirSync(workspaces) : []) {
    const file = path.join(workspaces, key, `${threadId}.json`);
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')).terminal;
      } catch {
        return undefined; // being replaced: read again
      }
    }
  }
  return undefined;
}

describe('terminals: which integrated terminal runs which Codex thread', function () {
  this.timeout(180_000);
  let codex: HarnessCodex | undefined;
  let codexBin: string;
  const terminals: vscode.Terminal[] = [];
  let release: (() => void) | undefined;
  /** Turns wait for `release()` while this is true, so a thread stays busy while the test looks. */
  let holdTurns = true;

  function openTerminal(name: string): vscode.Terminal {
    const t = openCodexTerminal(codex!, name);
    terminals.push(t);
    return t;
  }
  const ready = shellReady;

  beforeEach(async () => {
    holdTurns = true;
    let gate = new Promise<void>((r) => (release = r));
    codex = await HarnessCodex.start({
      turns: async () => {
        if (holdTurns) {
          await gate;
          gate = new Promise<void>((r) => (release = r));
        }
        return 'done';
      },
    });
    codexBin = prepareTuiHome(codex);
  });

  afterEach(async () => {
    release?.();
    for (const t of terminals.splice(0)) {
      t.dispose();
    }
    if (codex) {
      await stopDaemon(codex.home.codexHome);
    }
    await codex?.dispose();
    codex = undefined;
  });

  const startTui = (t: vscode.Terminal, args = '') => startTuiIn(t, codexBin, args);

  /** Waits for the terminal's association to satisfy `ok`. */
  function association(t: vscode.Terminal, ok: (a: Association) => boolean, what: string, timeoutMs = 60_000): Promise<Association> {
    return eventually((x) => {
      const a = x.terminalThread(t);
      return a && ok(a) ? a : undefined;
    }, what, timeoutMs);
  }

  /** A new terminal `name` running the TUI, after `prompt`'s turn made it exact on its first thread. */
  async function tuiOnFirstThread(name: string, prompt: string, what: string): Promise<{ t: vscode.Terminal; out: CommandOutput; first: Association }> {
    const t = openTerminal(name);
    await ready(t);
    const out = await startTui(t);
    await submit(t, out, prompt);
    const first = await association(t, (a) => a.certainty === 'exact', what);
    return { t, out, first };
  }

  it('a `codex exec` typed into a terminal is shown as running in that terminal (exact), in the status bar, and recorded in its context file', async () => {
    const t = openTerminal('exec terminal');
    await ready(t);
    t.sendText(`${codexBin} exec --skip-git-repo-check "hello from a terminal" </dev/null`);
    const a = await eventually((x) => {
      const got = x.terminalThread(t);
      return got?.certainty === 'exact' ? got : undefined;
    }, 'an exact association for the exec terminal');
    assert.equal(a.via, 'process-lock');
    const row = await eventually((x) => x.snapshot('threads').then((n) => threadRow(n, a.threadId)), 'the exec thread row');
    assert.match(row.description ?? '', /· in exec terminal$/);
    assert.match(row.contextValue ?? '', /\.inTerminal/);
    const status = await eventually((x) => (x.terminalStatus().visible ? x.terminalStatus() : undefined), 'the status bar item');
    assert.ok(!status.text.endsWith('?'), `exact, so no question mark: ${status.text}`);
    assert.ok(status.tooltip.includes(a.threadId), 'the status tooltip names the thread id');
    const recorded = await eventually(() => contextFileTerminal(codex!, a.threadId), 'the terminal in the context file');
    assert.equal(recorded.name, 'exec terminal');
    assert.equal(recorded.processId, await t.processId);

    release?.();
    await eventually((x) => (x.terminalThread(t) === undefined ? true : undefined), 'the association to end with the exec');
    const ended = await eventually((x) => x.snapshot('threads').then((n) => threadRow(n, a.threadId)), 'the ended row');
    assert.doesNotMatch(ended.description ?? '', /in exec terminal/);
    assert.match(ended.tooltip ?? '', /Was in terminal “exec terminal”/);
  });

  it('in a terminal without shell integration (sh), a `codex exec` is still associated exactly, from the process tree alone', async () => {
    // VS Code injects shell integration into bash, zsh, fish and pwsh only: sh gets none, so no
    // command line or output stream reaches the extension, only the shell's process id.
    const t = vscode.window.createTerminal({ name: 'plain sh', shellPath: '/bin/sh', cwd: codex!.workspace, env: { CODEX_HOME: codex!.home.codexHome } });
    terminals.push(t);
    t.show();
    // The shell reads what is typed once it runs: nothing to wait for without shell integration.
    t.sendText(`${codexBin} exec --skip-git-repo-check "hello from sh" </dev/null`);
    const a = await association(t, (x) => x.certainty === 'exact', 'an exact association for the sh terminal');
    assert.equal(a.via, 'process-lock');
    const row = await eventually((x) => x.snapshot('threads').then((n) => threadRow(n, a.threadId)), 'the exec thread row');
    assert.match(row.description ?? '', /· in plain sh$/);
    assert.equal(t.shellIntegration, undefined, 'sh never had shell integration: the test checked what it says');
    release?.();
    await eventually((x) => (x.terminalThread(t) === undefined ? true : undefined), 'the association to end with the exec');
  });

  it('`codex resume <id>` is associated exactly from its command line, and closing the terminal ends it', async () => {
    holdTurns = false;
    const first = await codex!.exec('a thread to resume', { timeoutMs: 60_000 });
    const id = first.threadId!;
    const t = openTerminal('resume terminal');
    await ready(t);
    t.sendText(`${codexBin} resume ${id}`);
    const a = await eventually((x) => {
      const got = x.terminalThread(t);
      return got?.threadId === id && got.certainty === 'exact' ? got : undefined;
    }, 'the resumed thread, exact');
    assert.ok(a.via === 'command-line' || a.via === 'process-lock', a.via);
    t.dispose();
    await eventually((x) => (x.terminalThread(t) === undefined ? true : undefined), 'the association to end with the terminal');
    await eventually((x) => x.snapshot('threads').then((n) => (threadRow(n, id)?.description?.includes('resume terminal') ? undefined : true)), 'the row without the closed terminal');
  });

  it('one default TUI is associated with its thread once it exists, exactly after its first turn', async () => {
    // Turns end at once here, as in the other TUI tests: a turn held open may keep its rollout unwritten.
    holdTurns = false;
    // Before its first message the daemon's new thread has no cwd on disk: nothing to show yet.
    const { first: exact } = await tuiOnFirstThread('tui', 'hello from the TUI', 'the exact association after a turn');
    assert.equal(exact.via, 'turn-activity');
    const rows = await (await api()).snapshot('threads');
    assert.match(threadRow(rows, exact.threadId)?.description ?? '', /· in tui$/);
    assert.match(threadRow(rows, exact.threadId)?.label ?? '', /hello from the TUI/);
  });

  it('two default TUIs started in one folder 1.5 s apart each end up exactly on their own thread after a turn each', async () => {
    // Turns end at once here: a turn held open may keep its rollout unwritten, so no activity shows.
    holdTurns = false;
    const one = openTerminal('tui one');
    const two = openTerminal('tui two');
    await Promise.all([ready(one), ready(two)]);
    const first = startTui(one);
    await new Promise((r) => setTimeout(r, 1500)); // the scenario itself: a user opens the second TUI 1.5 s later
    const [out1, out2] = await Promise.all([first, startTui(two)]);
    await submit(one, out1, 'first terminal speaking');
    const a1 = await association(one, (a) => a.certainty === 'exact', 'the first TUI exact');
    await submit(two, out2, 'second terminal speaking');
    const a2 = await association(two, (a) => a.certainty === 'exact' && a.threadId !== a1.threadId, 'the second TUI exact on another thread');
    const rows = await (await api()).snapshot('threads');
    assert.match(threadRow(rows, a1.threadId)?.label ?? '', /first terminal speaking/);
    assert.match(threadRow(rows, a2.threadId)?.label ?? '', /second terminal speaking/);
  });

  it('`/new` in a TUI moves the terminal to the new thread and the old thread keeps "was in terminal"', async () => {
    holdTurns = false;
    const { t, out, first } = await tuiOnFirstThread('mover', 'the first thread', 'the first thread exact');
    await submit(t, out, '/new');
    await submit(t, out, 'the second thread');
    const second = await association(t, (a) => a.certainty === 'exact' && a.threadId !== first.threadId, 'the new thread exact');
    const rows = await (await api()).snapshot('threads');
    assert.match(threadRow(rows, second.threadId)?.label ?? '', /the second thread/);
    assert.match(threadRow(rows, first.threadId)?.tooltip ?? '', /Was in terminal “mover”/);
  });

  it('`/fork` in a TUI makes the terminal probable at once, then exact on the forked thread after its turn', async () => {
    holdTurns = false;
    const { t, out, first: original } = await tuiOnFirstThread('forker', 'the thread to fork', 'the original thread exact');
    await submit(t, out, '/fork');
    await association(t, (a) => a.certainty === 'probable', 'the terminal probable once the TUI shows the fork');
    await submit(t, out, 'in the fork');
    const fork = await association(t, (a) => a.certainty === 'exact' && a.threadId !== original.threadId, 'the forked thread exact after its turn');
    const rows = await (await api()).snapshot('threads');
    assert.match(threadRow(rows, fork.threadId)?.description ?? '', /· in forker$/);
    assert.match(threadRow(rows, original.threadId)?.tooltip ?? '', /Was in terminal “forker”/);
  });

  it('`/resume` of a thread older than the TUI makes the terminal probable at once, then exact on the resumed thread after its turn', async () => {
    holdTurns = false;
    // An earlier TUI run in this terminal leaves a thread the shared daemon keeps loaded.
    const earlier = await tuiOnFirstThread('resumer', 'an older thread', 'the older thread exact');
    const { t, first: older } = earlier;
    let out = earlier.out;
    const exiting = out.text.length;
    t.sendText('\x03', false);
    await out.waitFor(/ctrl\s*\+?\s*c\s*again|To\s*reconnect/i, 'the TUI asking for a second Ctrl-C', exiting);
    if (!/To\s*reconnect/.test(out.text.slice(exiting))) {
      t.sendText('\x03', false);
      await out.waitFor(/To\s*reconnect/, 'the TUI exiting', exiting);
    }
    await eventually((x) => (x.terminalThread(t) === undefined ? true : undefined), 'the first run over');
    out = await startTui(t);
    await submit(t, out, 'a thread of this TUI');
    const own = await association(t, (a) => a.certainty === 'exact' && a.threadId !== older.threadId, 'the new TUI thread exact');
    const picker = out.text.length;
    await submit(t, out, '/resume');
    // The picker lists the newest first: one step down is the older thread.
    await out.waitFor(/an\s*older\s*thread/, 'the older thread in the session picker', picker);
    const down = out.text.length;
    t.sendText('\x1b[B', false);
    await out.waitFor(/›\s*\S+\s*ago\s*an\s*older\s*thread/, 'the older thread selected in the picker', down);
    t.sendText('\r', false);
    const shown = await association(t, (a) => a.certainty === 'probable', 'the terminal probable once the TUI shows the resumed session');
    assert.equal(shown.threadId, own.threadId, 'still the last proven thread, now only probable');
    await submit(t, out, 'back in the older thread');
    await association(t, (a) => a.certainty === 'exact' && a.threadId === older.threadId, 'the resumed older thread exact after its turn');
  });

  it('`codex --no-daemon` runs its thread in the terminal: exact once its turn ran', async () => {
    const t = openTerminal('no daemon');
    await ready(t);
    const out = await startTui(t, '--no-daemon');
    await association(t, (x) => x.certainty === 'exact' && x.via === 'process-lock', 'the no-daemon TUI, exact from the lock it holds');
    await submit(t, out, 'hello without daemon');
    const a = await association(t, (x) => x.certainty === 'exact', 'the exact association');
    assert.ok(a.via === 'process-lock' || a.via === 'turn-activity', a.via);
    const row = await eventually((x) => x.snapshot('threads').then((n) => (/hello without daemon/.test(threadRow(n, a.threadId)?.label ?? '') ? threadRow(n, a.threadId) : undefined)), 'the thread row titled by its first message');
    assert.match(row.description ?? '', /· in no daemon$/);
  });

  it('the status bar follows the active terminal and hides for a terminal without Codex', async () => {
    const busy = openTerminal('codex busy');
    await ready(busy);
    busy.sendText(`${codexBin} exec --skip-git-repo-check "stay busy" </dev/null`);
    const a = await eventually((x) => (x.terminalThread(busy)?.certainty === 'exact' ? x.terminalThread(busy) : undefined), 'the busy terminal association');
    await eventually((x) => (x.terminalStatus().visible && x.terminalStatus().tooltip.includes(a.threadId) ? true : undefined), 'the status item for the busy terminal');
    const plain = openTerminal('plain shell');
    await ready(plain);
    plain.show();
    await eventually((x) => (vscode.window.activeTerminal === plain && !x.terminalStatus().visible ? true : undefined), 'the status item hidden for the plain shell');
    busy.show();
    await eventually((x) => (vscode.window.activeTerminal === busy && x.terminalStatus().visible ? true : undefined), 'the status item back for the busy terminal');
  });
});
