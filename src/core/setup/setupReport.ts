// What "Check Setup" (extension) and `codex-thread-shim status` (terminal) report: one computation,
// two renderings. Each problem carries the fix the front ends offer.

import * as fs from 'node:fs';
import { readCodexConfigFile, type CodexConfigFile } from '../codexConfig';
import { launcherPath, launcherState, type LauncherState, type LauncherTarget } from '../launcher';
import { detectCodex, startTimeResolutionFor, type CodexInstall, type StartTimeResolution } from './codexVersion';

export type SetupFix = 'wrap' | 'install-launcher' | 'open-config' | 'install-codex';

export interface SetupProblem {
  message: string;
  fix?: SetupFix;
  /** The config file the problem is about, if any. */
  file?: string;
}

export interface SetupReport {
  codexHome: string;
  codexHomeExists: boolean;
  codex: CodexInstall & { startTimeResolution: StartTimeResolution };
  launcher: { path: string; state: LauncherState };
  configs: CodexConfigFile[];
  problems: SetupProblem[];
}

export interface SetupInputs {
  codexHome: string;
  configFiles: readonly string[];
  /** What the launcher should contain (the extension knows); undefined: only presence is checked. */
  launcherTarget?: LauncherTarget;
  codexCommand?: string;
  env?: NodeJS.ProcessEnv;
}

export async function buildSetupReport(inputs: SetupInputs): Promise<SetupReport> {
  const [codexHomeExists, codex, state, configs] = await Promise.all([
    fs.promises.stat(inputs.codexHome).then((s) => s.isDirectory(), () => false),
    detectCodex(inputs.codexCommand, inputs.env),
    launcherState(inputs.codexHome, inputs.launcherTarget),
    Promise.all(inputs.configFiles.map((f) => readCodexConfigFile(f))),
  ]);
  const problems: SetupProblem[] = [];
  if (!codexHomeExists) {
    problems.push({ message: `Codex home ${inputs.codexHome} does not exist (run Codex once, or set CODEX_HOME)`, fix: 'install-codex' });
  }
  if (!codex.version) {
    problems.push({ message: `Codex version unknown: ${codex.error}`, fix: 'install-codex' });
  } else if (startTimeResolutionFor(codex.version) !== 'supported') {
    problems.push({ message: `Codex ${codex.version}: servers start without a thread id and get it at their first tool call (start-time resolution needs Codex 0.169 or newer)` });
  }
  if (state !== 'current') {
    problems.push({ message: `the launcher ${launcherPath(inputs.codexHome)} is ${state}`, fix: 'install-launcher' });
  }
  for (const config of configs) {
    if (config.error) {
      problems.push({ message: `${config.file}:${config.error.line}:${config.error.column}: ${config.error.message}`, fix: 'open-config', file: config.file });
    }
    const unwrapped = config.servers.filter((s) => s.transport === 'stdio' && !s.wrapped && s.command !== undefined);
    if (unwrapped.length > 0) {
      problems.push({ message: `not wrapped in ${config.file}: ${unwrapped.map((s) => s.name).join(', ')}`, fix: 'wrap', file: config.file });
    }
  }
  return {
    codexHome: inputs.codexHome,
    codexHomeExists,
    codex: { ...codex, startTimeResolution: startTimeResolutionFor(codex.version) },
    launcher: { path: launcherPath(inputs.codexHome), state },
    configs,
    problems,
  };
}
