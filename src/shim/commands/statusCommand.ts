// `codex-thread-shim status`: the same report as the extension's Check Setup, for a terminal.

import * as path from 'node:path';
import { codexConfigFiles } from '../../core/codexConfig';
import { buildSetupReport } from '../../core/setup';
import type { ConfigArgs } from './configArgs';
import type { CommandIo } from './editCommand';

export async function runStatusCommand(args: ConfigArgs, codexHome: string, cwd: string, env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  const files = args.config ? [path.resolve(cwd, args.config)] : codexConfigFiles(codexHome, [cwd]);
  const report = await buildSetupReport({ codexHome, configFiles: files, env });
  if (args.json) {
    io.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [];
  lines.push(`Codex home: ${report.codexHome}${report.codexHomeExists ? '' : ' (missing)'}`);
  lines.push(
    report.codex.version
      ? `Codex: ${report.codex.version} (start-time thread resolution: ${report.codex.startTimeResolution})`
      : `Codex: ${report.codex.error}`,
  );
  lines.push(`Launcher: ${report.launcher.path} (${report.launcher.state})`);
  for (const config of report.configs) {
    if (!config.exists) {
      continue;
    }
    lines.push(`${config.file}:`);
    if (config.error) {
      lines.push(`  syntax error at ${config.error.line}:${config.error.column}: ${config.error.message}`);
    }
    for (const s of config.servers) {
      const state = s.transport === 'http' ? 'url server (not wrappable)' : s.wrapped ? `wrapped -> ${[s.inner?.command, ...(s.inner?.args ?? [])].join(' ')}` : 'not wrapped';
      lines.push(`  ${s.name}: ${state}${s.enabled ? '' : ' (disabled)'}`);
    }
    if (!config.error && config.servers.length === 0) {
      lines.push('  no MCP servers');
    }
  }
  for (const p of report.problems) {
    lines.push(`problem: ${p.message}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
