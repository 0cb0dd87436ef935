// Arguments of the config subcommands: `wrap <server>... | --all`, `unwrap <server>... | --all`,
// `status`, each with --config <file>, --codex-home <dir>, --dry-run, --json.

export type ConfigSubcommand = 'wrap' | 'unwrap' | 'status';

export const SUBCOMMANDS: readonly ConfigSubcommand[] = ['wrap', 'unwrap', 'status'];

export interface ConfigArgs {
  command: ConfigSubcommand;
  servers: string[];
  all: boolean;
  config?: string;
  codexHome?: string;
  dryRun: boolean;
  json: boolean;
}

export const CONFIG_USAGE = `usage: codex-thread-shim wrap <server>... | --all   [--config <file>] [--dry-run] [--json]
       codex-thread-shim unwrap <server>... | --all [--config <file>] [--dry-run] [--json]
       codex-thread-shim status [--config <file>] [--json]
  --config <file>     the config.toml to edit (default: <codex home>/config.toml)
  --codex-home <dir>  Codex home (default: $CODEX_HOME, else ~/.codex)
  --dry-run           print the unified diff, change nothing
  --json              print the result as JSON
Exit status: 0 done (also when there was nothing to change), 1 refused (syntax error,
file changed meanwhile, unknown server), 2 usage error.`;

export function isConfigSubcommand(word: string | undefined): word is ConfigSubcommand {
  return (SUBCOMMANDS as readonly string[]).includes(word ?? '');
}

export function parseConfigArgs(argv: readonly string[]): ConfigArgs | { error: string } | { help: true } {
  const command = argv[0];
  if (!isConfigSubcommand(command)) {
    return { error: `unknown command ${JSON.stringify(command)}` };
  }
  const out: ConfigArgs = { command, servers: [], all: false, dryRun: false, json: false };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    switch (flag) {
      case '--help':
      case '-h':
        return { help: true };
      case '--all':
        out.all = true;
        break;
      case '--dry-run':
        out.dryRun = true;
        break;
      case '--json':
        out.json = true;
        break;
      case '--config':
      case '--codex-home': {
        const value = inline ?? argv[++i];
        if (value === undefined || value === '') {
          return { error: `${flag} needs a value` };
        }
        if (flag === '--config') out.config = value;
        else out.codexHome = value;
        break;
      }
      case '--':
        out.servers.push(...argv.slice(i + 1));
        i = argv.length;
        break;
      default:
        if (arg.startsWith('-')) {
          return { error: `unknown option ${JSON.stringify(arg)}` };
        }
        out.servers.push(arg);
    }
  }
  if (command === 'status') {
    if (out.servers.length > 0 || out.all) {
      return { error: 'status takes no server names' };
    }
  } else if (out.all === (out.servers.length > 0)) {
    return { error: `${command} needs server names or --all (not both)` };
  }
  return out;
}
