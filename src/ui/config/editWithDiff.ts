// Wrap or unwrap servers from VS Code: compute the new text with the core editor, show it against
// the file with `vscode.diff`, and write it only when the user confirms. The write refuses a file
// that changed meanwhile (the diff may have been open for a while).

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  ConfigChangedError,
  readConfigSnapshot,
  unwrapServersInText,
  wrapServersInText,
  writeConfigText,
  SHIM_COMMAND_NAME,
} from '../../core/codexConfig';
import { launcherPath } from '../../core/launcher';
import type { ProposedTextProvider } from './proposedTextProvider';

export type EditKind = 'wrap' | 'unwrap';

export interface EditDeps {
  codexHome(): string;
  proposed: ProposedTextProvider;
  /** Called after a file was written (e.g. to refresh the MCP Servers view). */
  onDidWrite?(file: string): void;
  log(message: string): void;
}

export interface EditOptions {
  /** false: apply after showing the diff, without the modal question (integration tests, scripts). */
  confirm?: boolean;
}

/** Edits one file. Returns true when it was written. */
export async function editServersWithDiff(kind: EditKind, file: string, names: readonly string[], deps: EditDeps, options: EditOptions = {}): Promise<boolean> {
  const snapshot = await readConfigSnapshot(file);
  const launcher = launcherPath(deps.codexHome());
  const shimCommand = fs.existsSync(launcher) ? launcher : SHIM_COMMAND_NAME;
  const plan = kind === 'wrap' ? wrapServersInText(snapshot.text, names, { shimCommand }) : unwrapServersInText(snapshot.text, names);
  if (!plan.ok) {
    if (plan.kind === 'syntax') {
      const open = 'Open config.toml';
      const choice = await vscode.window.showErrorMessage(
        `${path.basename(file)} has a syntax error at line ${plan.problem.line}, column ${plan.problem.column}: ${plan.problem.message}. Nothing was changed.`,
        open,
      );
      if (choice === open) await revealPosition(file, plan.problem.line, plan.problem.column);
    } else {
      void vscode.window.showErrorMessage(`No server named ${plan.names.join(', ')} in ${file}.`);
    }
    return false;
  }
  if (plan.text === snapshot.text) {
    void vscode.window.showInformationMessage(`Nothing to ${kind} in ${file}.`);
    return false;
  }
  const changed = plan.servers.filter((s) => s.result === 'changed').map((s) => s.name);
  const proposedUri = deps.proposed.show(file, plan.text);
  try {
    await vscode.commands.executeCommand('vscode.diff', vscode.Uri.file(file), proposedUri, `${path.basename(file)} ↔ ${kind === 'wrap' ? 'wrapped' : 'unwrapped'} (${changed.join(', ')})`, { preview: true });
    const apply = kind === 'wrap' ? 'Wrap' : 'Unwrap';
    const choice =
      options.confirm === false
        ? apply
        : await vscode.window.showInformationMessage(
            `${apply} ${changed.join(', ')} in ${file}? Only their command and args change; the old file is kept as config.toml.bak.`,
            { modal: true },
            apply,
          );
    if (choice !== apply) {
      return false;
    }
    try {
      await writeConfigText(snapshot, plan.text);
    } catch (e) {
      if (e instanceof ConfigChangedError) {
        void vscode.window.showErrorMessage(`${file} changed while the diff was open; nothing was written. Run the command again.`);
        return false;
      }
      throw e;
    }
    deps.log(`${kind}: ${changed.join(', ')} in ${file}`);
    deps.onDidWrite?.(file);
    void vscode.window.showInformationMessage(`${kind === 'wrap' ? 'Wrapped' : 'Unwrapped'} ${changed.join(', ')}. Codex uses it for threads it starts from now on.`);
    return true;
  } finally {
    deps.proposed.forget(proposedUri);
  }
}

export async function revealPosition(file: string, line: number, column: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
}
