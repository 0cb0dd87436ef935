// The config subcommands beside the relay form: `wrap`, `unwrap`, `status` (for a person at a
// terminal; the relay form never reaches here, so stdout is free to use).

import * as path from 'node:path';
import { expandHome, resolveCodexHome } from '../../core/codexHome';
import { CONFIG_USAGE, parseConfigArgs } from './configArgs';
import { runEditCommand, type CommandIo } from './editCommand';
import { runStatusCommand } from './statusCommand';

export { isConfigSubcommand } from './configArgs';

export const EXIT_USAGE = 2;

export async function runConfigSubcommand(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, io: CommandIo): Promise<number> {
  const args = parseConfigArgs(argv);
  if ('help' in args) {
    io.stdout.write(CONFIG_USAGE + '\n');
    return 0;
  }
  if ('error' in args) {
    io.stderr.write(`codex-thread-shim: ${args.error}\n${CONFIG_USAGE}\n`);
    return EXIT_USAGE;
  }
  const codexHome = args.codexHome ? path.resolve(cwd, expandHome(args.codexHome, env)) : resolveCodexHome(env);
  if (args.command === 'status') {
    return runStatusCommand(args, codexHome, cwd, env, io);
  }
  const file = args.config ? path.resolve(cwd, expandHome(args.config, env)) : path.join(codexHome, 'config.toml');
  return runEditCommand(args, file, codexHome, io);
}
