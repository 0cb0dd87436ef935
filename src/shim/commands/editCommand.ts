// `codex-thread-shim wrap|unwrap`: edits one config.toml through the core editor. The wrapped
// command is the launcher when it exists (installed by the VS Code extension), else the command
// name `codex-thread-shim` (on PATH after `npm install -g`).

import * as fs from 'node:fs';
import {
  ConfigChangedError,
  ConfigEncodingError,
  readConfigSnapshot,
  unwrapServersInText,
  wrapServersInText,
  writeConfigText,
  type EditPlan,
  type SkipReason,
} from '../../core/codexConfig';
import { SHIM_COMMAND_NAME } from '../../core/codexConfig/shimInvocation';
import { launcherPath } from '../../core/launcher';
import type { ConfigArgs } from './configArgs';
import { unifiedDiff } from './unifiedDiff';

export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const SKIP_TEXT: Record<SkipReason, string> = {
  remote: 'a url (HTTP) server: nothing to wrap',
  'no-command': 'no command',
  'already-wrapped': 'already wrapped',
  'not-wrapped': 'not wrapped',
  'bad-args': 'args is not a list of strings',
};

export const EXIT_DONE = 0;
export const EXIT_REFUSED = 1;

export async function runEditCommand(args: ConfigArgs, file: string, codexHome: string, io: CommandIo): Promise<number> {
  const out = (s: string) => io.stdout.write(s);
  const refuse = (kind: string, message: string, extra: object = {}): number => {
    if (args.json) out(JSON.stringify({ file, ok: false, error: { kind, message, ...extra } }, null, 2) + '\n');
    else io.stderr.write(`codex-thread-shim ${args.command}: ${message}\n`);
    return EXIT_REFUSED;
  };

  let snapshot;
  try {
    snapshot = await readConfigSnapshot(file);
  } catch (e) {
    return refuse(e instanceof ConfigEncodingError ? 'encoding' : 'read', (e as Error).message);
  }
  if (!snapshot.exists) {
    return refuse('missing', `${file} does not exist`);
  }
  const selection = args.all ? 'all' : args.servers;
  const launcher = launcherPath(codexHome);
  const shimCommand = fs.existsSync(launcher) ? launcher : SHIM_COMMAND_NAME;
  const plan: EditPlan = args.command === 'wrap' ? wrapServersInText(snapshot.text, selection, { shimCommand }) : unwrapServersInText(snapshot.text, selection);
  if (!plan.ok) {
    if (plan.kind === 'syntax') {
      const { line, column, message } = plan.problem;
      return refuse('syntax', `${file}:${line}:${column}: ${message}; nothing was changed`, { line, column });
    }
    return refuse('unknown-server', `no server named ${plan.names.map((n) => JSON.stringify(n)).join(', ')} in ${file}`, { names: plan.names });
  }
  const diff = unifiedDiff(snapshot.text, plan.text, file, args.dryRun ? `${file} (${args.command})` : file);
  const changed = plan.text !== snapshot.text;
  if (changed && !args.dryRun) {
    try {
      await writeConfigText(snapshot, plan.text);
    } catch (e) {
      return refuse(e instanceof ConfigChangedError ? 'changed' : 'write', (e as Error).message);
    }
  }
  if (args.json) {
    out(JSON.stringify({ file, ok: true, dryRun: args.dryRun, changed, written: changed && !args.dryRun, backup: changed && !args.dryRun ? `${file}.bak` : undefined, shimCommand: args.command === 'wrap' ? shimCommand : undefined, servers: plan.servers, diff }, null, 2) + '\n');
    return EXIT_DONE;
  }
  if (args.dryRun) {
    out(diff);
  }
  const verb = args.command === 'wrap' ? 'wrapped' : 'unwrapped';
  for (const s of plan.servers) {
    const line = s.result === 'changed' ? `${args.dryRun ? 'would be ' : ''}${verb}: ${s.name}` : `left as it is: ${s.name} (${SKIP_TEXT[s.result]})`;
    (args.dryRun ? io.stderr : io.stdout).write(line + '\n');
  }
  if (changed && !args.dryRun) {
    out(`wrote ${file} (the old file is in ${file}.bak)\n`);
  } else if (!changed) {
    out(`nothing to change in ${file}\n`);
  }
  return EXIT_DONE;
}
