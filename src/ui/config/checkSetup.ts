// "Check Setup": the core setup report, with each problem's fix as a button.

import * as vscode from 'vscode';
import { buildSetupReport, type SetupFix, type SetupReport } from '../../core/setup';
import type { LauncherTarget } from '../../core/launcher';
import { revealPosition } from './editWithDiff';

export interface CheckSetupDeps {
  codexHome(): string;
  configFiles(): string[];
  launcherTarget(): Promise<LauncherTarget>;
  installLauncher(): Promise<void>;
  log(message: string): void;
}

const FIX_LABEL: Record<SetupFix, string> = {
  wrap: 'Wrap…',
  'install-launcher': 'Repair Launcher',
  'open-config': 'Open config.toml',
  'install-codex': 'How to Install Codex',
};

export async function checkSetup(deps: CheckSetupDeps): Promise<SetupReport> {
  const report = await buildSetupReport({ codexHome: deps.codexHome(), configFiles: deps.configFiles(), launcherTarget: await deps.launcherTarget() });
  const wrapped = report.configs.flatMap((c) => c.servers.filter((s) => s.wrapped).map((s) => s.name));
  const summary =
    `Codex home ${report.codexHome}${report.codexHomeExists ? '' : ' (missing)'}; ` +
    (report.codex.version ? `Codex ${report.codex.version} (start-time resolution: ${report.codex.startTimeResolution}); ` : `Codex: ${report.codex.error}; `) +
    `launcher ${report.launcher.state}; wrapped: ${wrapped.length > 0 ? wrapped.join(', ') : 'none'}.`;
  deps.log(`Check Setup: ${summary}`);
  for (const p of report.problems) deps.log(`  problem: ${p.message}`);
  if (report.problems.length === 0) {
    void vscode.window.showInformationMessage(`Codex Thread Context is set up. ${summary}`);
    return report;
  }
  for (const problem of report.problems) {
    const buttons = problem.fix ? [FIX_LABEL[problem.fix]] : [];
    void vscode.window.showWarningMessage(problem.message, ...buttons).then(async (choice) => {
      if (!choice || !problem.fix) return;
      switch (problem.fix) {
        case 'wrap':
          await vscode.commands.executeCommand('codexThreadContext.wrapServers');
          break;
        case 'install-launcher':
          await deps.installLauncher();
          void vscode.window.showInformationMessage('The shim launcher is installed and current.');
          break;
        case 'open-config': {
          const config = report.configs.find((c) => c.file === problem.file);
          await revealPosition(problem.file!, config?.error?.line ?? 1, config?.error?.column ?? 1);
          break;
        }
        case 'install-codex':
          await vscode.env.openExternal(vscode.Uri.parse('https://github.com/openai/codex#installing-and-running-codex-cli'));
          break;
      }
    });
  }
  return report;
}
