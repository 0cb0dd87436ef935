// Command line of `codex-thread-shim`. Pure: argv in, a decision out; main.ts does the printing.
//
// --help and --version print to stdout and exit 0: they are explicit requests from a person at a
// terminal, and no server runs, so no MCP stream can be corrupted. Every other message of the shim
// goes to stderr, because stdout belongs to the real server.

// Codex 0.169 holds a thread's lock file before it forks the thread's servers, so a lookup finds
// it at once; 0.125 writes its rollout only after `initialize`, so waiting cannot help there. And
// `codex exec` sends its first model request about 1 s after it spawns a (not `required`) server:
// a long wait would make the server miss that turn. A short wait covers a slow /proc only.
export const DEFAULT_WAIT_MS = 150;

export type IfUnresolved = 'start' | 'fail';
export type OnMismatch = 'restart' | 'keep';

export interface ShimOptions {
  /** `--name`; undefined: look it up in config.toml, else the command's base name. */
  name?: string;
  codexHome?: string;
  waitMs: number;
  ifUnresolved: IfUnresolved;
  onMismatch: OnMismatch;
  command: string;
  args: string[];
}

export type CliResult =
  | { kind: 'run'; options: ShimOptions }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'usage-error'; message: string };

export const EXIT_UNRESOLVED = 1;
export const EXIT_USAGE = 2;

export const USAGE = 'usage: codex-thread-shim [options] -- <command> [args...]';

export const HELP = `${USAGE}

Starts a stdio MCP server with the Codex thread it serves in its environment
(CODEX_THREAD_ID, CODEX_SESSION_ID, CODEX_THREAD_CONTEXT) and relays stdin/stdout
byte for byte. Put it in front of the server's command in Codex's config.toml:

  [mcp_servers.notes]
  command = "codex-thread-shim"
  args = ["--", "node", "/path/to/server.js"]

Options:
  --name <server>               server name for the records; default: the
                                [mcp_servers.X] key whose command matches this
                                one, else the command's base name
  --codex-home <dir>            Codex home; default: $CODEX_HOME, else ~/.codex
  --wait <ms>                   how long to look for the thread at start
                                (default ${DEFAULT_WAIT_MS})
  --if-unresolved start|fail    no thread found: start the server without an id
                                (default, one line on stderr) or exit 1
  --on-mismatch restart|keep    a tools/call carries another thread id: restart
                                the server with that id, replaying the MCP
                                handshake (default), or keep it and record it
  --version                     print the version and exit
  --help                        print this help and exit

Config commands (see \`codex-thread-shim wrap --help\`):
  codex-thread-shim wrap <server>... | --all     put the shim in front of servers
  codex-thread-shim unwrap <server>... | --all   take it out again
  codex-thread-shim status                       servers, launcher, Codex version

Exit status: the server's own status (128+n when it is killed by signal n);
126 the command is not executable, 127 it is not found; 1 unresolved with
--if-unresolved fail; 2 usage error. Only the server writes to stdout.`;

const VALUE_OPTIONS = new Set(['--name', '--codex-home', '--wait', '--if-unresolved', '--on-mismatch']);

/** Parses the shim's own arguments (process.argv.slice(2)). */
export function parseArgs(argv: readonly string[]): CliResult {
  let name: string | undefined;
  let codexHome: string | undefined;
  let waitMs = DEFAULT_WAIT_MS;
  let ifUnresolved: IfUnresolved = 'start';
  let onMismatch: OnMismatch = 'restart';

  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '--help' || arg === '-h') {
      return { kind: 'help' };
    }
    if (arg === '--version') {
      return { kind: 'version' };
    }
    if (!arg.startsWith('-') || arg === '-') {
      // Like env(1) and nohup(1): the first word that is not an option starts the command, so
      // `codex-thread-shim node server.js` works too. `--` is still the safe form.
      break;
    }
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_OPTIONS.has(flag)) {
      return usageError(`unknown option ${JSON.stringify(arg)}`);
    }
    let value: string;
    if (eq > 0 && arg.startsWith('--')) {
      value = arg.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length) {
        return usageError(`${flag} needs a value`);
      }
      value = argv[++i];
    }
    switch (flag) {
      case '--name':
        if (value.trim() === '') {
          return usageError('--name must not be empty');
        }
        name = value;
        break;
      case '--codex-home':
        if (value.trim() === '') {
          return usageError('--codex-home must not be empty');
        }
        codexHome = value;
        break;
      case '--wait': {
        if (!/^\d+$/.test(value) || Number(value) > 600_000) {
          return usageError(`--wait takes a whole number of milliseconds from 0 to 600000, not ${JSON.stringify(value)}`);
        }
        waitMs = Number(value);
        break;
      }
      case '--if-unresolved':
        if (value !== 'start' && value !== 'fail') {
          return usageError(`--if-unresolved takes start or fail, not ${JSON.stringify(value)}`);
        }
        ifUnresolved = value;
        break;
      case '--on-mismatch':
        if (value !== 'restart' && value !== 'keep') {
          return usageError(`--on-mismatch takes restart or keep, not ${JSON.stringify(value)}`);
        }
        onMismatch = value;
        break;
    }
  }

  const rest = argv.slice(i);
  if (rest.length === 0 || rest[0] === '') {
    return usageError('no server command given');
  }
  return {
    kind: 'run',
    options: { name, codexHome, waitMs, ifUnresolved, onMismatch, command: rest[0], args: rest.slice(1) },
  };
}

function usageError(message: string): CliResult {
  return { kind: 'usage-error', message };
}
