// Reveal Terminal: from a thread row (or the palette) to the integrated terminal that runs it.
import * as vscode from 'vscode';
import type { CodexViews } from '../codexViews';
import { pickThread } from '../commands/pickTarget';
import type { UiNode } from '../tree/uiNode';
import type { TerminalTracker } from './terminalTracker';

export function registerTerminalCommands(views: CodexViews, tracker: TerminalTracker): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('codexThreadContext.revealTerminal', async (node?: UiNode) => {
      const t = await pickThread(node, views.model(false), (x) => tracker.terminalOf(x.id) !== undefined);
      const found = t && tracker.terminalOf(t.id);
      if (found) {
        found.terminal.show();
      } else if (t) {
        void vscode.window.showInformationMessage(`No open terminal runs Codex thread ${t.shortId} now.`);
      }
    }),
  ];
}
