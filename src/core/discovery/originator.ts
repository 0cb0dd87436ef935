import { ThreadKind } from './types';

// `originator` is the only field that tells who started a thread: `source` is `vscode` for every
// app-server thread, daemon-mode TUI threads included (see shared/codex-facts.md). Codex writes
// `codex_exec` for `codex exec`, `codex-tui` for the interactive TUI (older versions used the
// default `codex_cli_rs` for it), and an app-server client's `clientInfo.name` otherwise; the
// official IDE extension's client name is `codex_vscode`.
const EXEC = new Set(['codex_exec']);
const TERMINAL = new Set(['codex-tui', 'codex_tui', 'codex_cli_rs', 'codex_cli']);
const IDE = /vscode|visual studio|vs ?code|cursor|windsurf|jetbrains|intellij|pycharm|webstorm|goland|rider|android studio|xcode|zed|neovim|nvim|emacs|sublime/i;

export function threadKindFromOriginator(originator: string | undefined): ThreadKind {
  if (originator === undefined || originator === '') {
    return 'unknown';
  }
  const o = originator.trim();
  if (EXEC.has(o.toLowerCase())) {
    return 'exec';
  }
  if (TERMINAL.has(o.toLowerCase())) {
    return 'terminal';
  }
  if (IDE.test(o)) {
    return 'ide';
  }
  return 'other';
}
