// What a terminal itself says about the Codex thread it runs: the command line the user typed
// (`codex resume <id>`, `codex fork <id>`) and what the interactive TUI writes to the terminal: an
// OSC 7501 sequence when its state changes, its header when it shows another session, and, on exit
// in daemon mode, the line
// `To reconnect, run: codex resume <id>` (see shared codex facts). Pure text handling, no VS Code.
import { isThreadId } from '../threadId';

export interface CommandLineThread {
  /** `resume` continues the named thread; `fork` starts a new thread forked from it. */
  readonly verb: 'resume' | 'fork';
  readonly threadId: string;
}

// `codex` in command position: at the start or after a separator, maybe after `VAR=value`
// assignments, `npx`/`node`/`exec`/`command`, or a path; `codex-thread-shim` and `~/codex/` do not count.
const CODEX_COMMAND =
  /(?:^|[;&|(]|\b(?:npx|exec|command|env|node)\s)\s*(?:-{1,2}\S+\s+)*(?:[A-Za-z_]\w*=\S*\s+)*(?:\S*[/\\])?(?:@openai\/)?codex(?:\.exe|\.js|\.cmd)?(?=\s|$)/;

/** True when a shell command line runs the Codex CLI (`codex ...`, `npx @openai/codex ...`, a path to it). */
export function isCodexCommandLine(commandLine: string): boolean {
  return CODEX_COMMAND.test(commandLine);
}

// After the command word: options, maybe `exec`, then the verb, options, and the id.
const VERB_AND_ID = /(?:^|\s)(resume|fork)\s+(?:-{1,2}[\w-]+(?:=\S*)?\s+)*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])/;

/** The thread a `codex resume <id>` / `codex fork <id>` command line names, or undefined. */
export function threadFromCommandLine(commandLine: string): CommandLineThread | undefined {
  const codex = CODEX_COMMAND.exec(commandLine);
  if (!codex) {
    return undefined;
  }
  const args = commandLine.slice(codex.index + codex[0].length).split(/[;&|\n]/)[0];
  const m = VERB_AND_ID.exec(args);
  const id = m?.[2].toLowerCase();
  return m && isThreadId(id) ? { verb: m[1] as 'resume' | 'fork', threadId: id } : undefined;
}

/**
 * The TUI's OSC 7501 states, as Codex 0.169 writes them: a turn is `working` then `done`. A
 * `working` that goes back to `idle` without `done` is no finished turn: the TUI blips it for ~10 ms
 * at start-up (while another TUI connects to the shared daemon) and on `/new`, and an interrupted
 * turn (Esc) ends that way too. `clear` is written as the TUI exits.
 */
export type TuiState = 'working' | 'done' | 'idle' | 'clear';
const TUI_STATES: readonly string[] = ['working', 'done', 'idle', 'clear'] satisfies TuiState[];

export type TuiSignal =
  | { readonly kind: 'turn'; readonly state: TuiState }
  /** The TUI printed its header or opened its session picker: it may show another session now (`/new`, `/resume`). */
  | { readonly kind: 'session' }
  | { readonly kind: 'reconnect'; readonly threadId: string };

// OSC 7501 ; state=<state>[:app=codex] terminated by BEL or ST (ESC \). Control characters are
// the point of these patterns.
// eslint-disable-next-line no-control-regex
const OSC_7501 = /\x1b\]7501;state=([a-z]+)(?::[^\x07\x1b]*)?(?:\x07|\x1b\\)/g;
// Escape sequences removed before the reconnect line is looked for: CSI (colours, cursor moves),
// OSC (titles), and two-byte escapes.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
const RECONNECT = /To reconnect, run:\s*codex resume\s+([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;
// What the TUI (0.169) prints when it may show another session: its header above a new session
// (`>_ OpenAI Codex (v0.169.0)`, at start and after `/new`) and the title of the `/resume` session
// picker (after a pick it redraws the chosen thread's history, not always with the header). Their
// spaces may be cursor moves, gone once escapes are removed.
const SESSION_HEADER = /OpenAI\s*Codex\s*\(v\d|Resume\s*a\s*previous\s*session/g;
/** What is kept between chunks, so that a sequence split across two chunks is still seen. */
const CARRY_CHARS = 256;

/**
 * Reads a terminal's output stream chunk by chunk and reports the TUI's signals in order.
 * Memory stays bounded: only the last few hundred characters are kept between chunks.
 */
export class TuiOutputScanner {
  private carry = '';

  /** Feeds the next chunk; returns the signals completed by it. */
  push(chunk: string): TuiSignal[] {
    const text = this.carry + chunk;
    const signals: { at: number; signal: TuiSignal }[] = [];
    let consumed = 0;
    for (const m of text.matchAll(OSC_7501)) {
      const state = m[1];
      if (TUI_STATES.includes(state)) {
        signals.push({ at: m.index, signal: { kind: 'turn', state: state as TuiState } });
      }
      consumed = Math.max(consumed, m.index + m[0].length);
    }
    // The header and the reconnect line are looked for in the text with escapes removed;
    // positions in that text do not map back, so a header comes before the turn signals of the same
    // chunk (a session is shown before its turns) and the reconnect line after them (it is printed
    // at exit, after the last turn).
    const plain = text.replace(ESCAPES, '');
    let plainConsumed = 0;
    for (const m of plain.matchAll(SESSION_HEADER)) {
      signals.push({ at: -1, signal: { kind: 'session' } });
      plainConsumed = Math.max(plainConsumed, m.index + m[0].length);
    }
    for (const m of plain.matchAll(RECONNECT)) {
      signals.push({ at: Number.MAX_SAFE_INTEGER, signal: { kind: 'reconnect', threadId: m[1] } });
      plainConsumed = Math.max(plainConsumed, m.index + m[0].length);
    }
    // Keep an unfinished tail for the next chunk, never text already reported.
    const tail = plainConsumed > 0 ? plain.slice(plainConsumed) : text.slice(consumed);
    this.carry = tail.slice(-CARRY_CHARS);
    return signals.sort((a, b) => a.at - b.at).map((s) => s.signal);
  }
}
