// The text of the stable launcher, `<codex home>/bin/codex-thread-shim` (POSIX sh) and
// `codex-thread-shim.cmd` (Windows). Wrapped configs point at it because the extension's own
// folder, where the shim lives, changes with every update; the extension rewrites the launcher on
// activation so that it always names the current shim.
//
// The launcher runs the shim with a runtime it can count on: `node` from PATH when it is Node 20
// or newer, else the editor's own runtime (VS Code is Electron, which runs as plain Node with
// ELECTRON_RUN_AS_NODE=1). If the shim is gone (the extension was uninstalled) or no runtime is
// found, it runs the wrapped command itself, with one line on stderr: the user's servers keep
// working, only without a thread id.

export interface LauncherTarget {
  /** Absolute path of the bundled shim (dist/shim.js of the installed extension). */
  shimPath: string;
  /** The editor's executable, run as Node with ELECTRON_RUN_AS_NODE=1 when PATH has no good node. */
  editorRuntime?: string;
  /** Written into the header, to tell which extension version wrote it. */
  version: string;
}

export const MIN_NODE_MAJOR = 20;

/** Options of the shim that take a value: the fail-open path skips them to find the command. */
const VALUE_OPTIONS = ['--name', '--codex-home', '--wait', '--if-unresolved', '--on-mismatch'];

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function posixLauncher(t: LauncherTarget): string {
  return `#!/bin/sh
# codex-thread-shim launcher, written by the Codex Thread Context extension ${t.version}.
# Codex's config.toml points wrapped MCP servers here; the extension rewrites this file when it
# starts, so it always runs the shim of the installed extension. Edits are overwritten.
SHIM=${shQuote(t.shimPath)}
EDITOR_RUNTIME=${shQuote(t.editorRuntime ?? '')}

if [ -f "$SHIM" ]; then
  # \`node --version\` answers before Node boots its JavaScript side: ~1 ms, not the ~40 ms of a script.
  NODE_VERSION=$(node --version 2>/dev/null)
  NODE_MAJOR=\${NODE_VERSION#v}
  NODE_MAJOR=\${NODE_MAJOR%%.*}
  if [ -n "$NODE_MAJOR" ] && [ "$NODE_MAJOR" -ge ${MIN_NODE_MAJOR} ] 2>/dev/null; then
    exec node "$SHIM" "$@"
  fi
  if [ -n "$EDITOR_RUNTIME" ] && [ -x "$EDITOR_RUNTIME" ]; then
    ELECTRON_RUN_AS_NODE=1 exec "$EDITOR_RUNTIME" "$SHIM" "$@"
  fi
  WHY="no Node.js ${MIN_NODE_MAJOR}+ on PATH and no editor runtime"
else
  WHY="the shim $SHIM is gone (Codex Thread Context uninstalled?)"
fi

# Fail open: run the server without the shim, so it keeps working (without a thread id).
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    ${VALUE_OPTIONS.join('|')}) if [ $# -ge 2 ]; then shift 2; else shift; fi ;;
    --*=*) shift ;;
    -*) shift ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "codex-thread-shim: $WHY, and no server command given" >&2
  exit 2
fi
echo "codex-thread-shim: $WHY; starting $1 directly, without a thread id" >&2
exec "$@"
`;
}

function cmdQuote(s: string): string {
  // Inside "set VAR=value" with quotes around the whole assignment, only % needs doubling.
  return s.replace(/%/g, '%%');
}

export function windowsLauncher(t: LauncherTarget): string {
  const lines = [
    '@echo off',
    `rem codex-thread-shim launcher, written by the Codex Thread Context extension ${t.version}.`,
    'rem Rewritten by the extension when it starts; edits are overwritten.',
    'setlocal',
    `set "SHIM=${cmdQuote(t.shimPath)}"`,
    `set "EDITOR_RUNTIME=${cmdQuote(t.editorRuntime ?? '')}"`,
    'if not exist "%SHIM%" goto failopen',
    'set "NODE_MAJOR="',
    'for /f "tokens=1 delims=." %%v in (\'node --version 2^>nul\') do set "NODE_MAJOR=%%v"',
    'if not defined NODE_MAJOR goto editor',
    'set "NODE_MAJOR=%NODE_MAJOR:v=%"',
    `if %NODE_MAJOR% LSS ${MIN_NODE_MAJOR} goto editor`,
    'node "%SHIM%" %*',
    'exit /b %ERRORLEVEL%',
    ':editor',
    'if "%EDITOR_RUNTIME%"=="" goto failopen',
    'if not exist "%EDITOR_RUNTIME%" goto failopen',
    'set ELECTRON_RUN_AS_NODE=1',
    '"%EDITOR_RUNTIME%" "%SHIM%" %*',
    'exit /b %ERRORLEVEL%',
    ':failopen',
    'rem Run the server without the shim: skip the shim options up to "--".',
    ':skip',
    'if "%~1"=="" goto nocommand',
    'if "%~1"=="--" (shift & goto collect)',
    ...VALUE_OPTIONS.map((o) => `if "%~1"=="${o}" (shift & shift & goto skip)`),
    'set "ARG=%~1"',
    'if "%ARG:~0,1%"=="-" (shift & goto skip)',
    ':collect',
    'if "%~1"=="" goto nocommand',
    'set "CMDLINE=%1"',
    'shift',
    ':more',
    'if "%~1"=="" goto run',
    'set CMDLINE=%CMDLINE% %1',
    'shift',
    'goto more',
    ':run',
    'echo codex-thread-shim: the shim or a Node.js runtime is missing; starting the server directly, without a thread id 1>&2',
    '%CMDLINE%',
    'exit /b %ERRORLEVEL%',
    ':nocommand',
    'echo codex-thread-shim: no server command given 1>&2',
    'exit /b 2',
    '',
  ];
  return lines.join('\r\n');
}
