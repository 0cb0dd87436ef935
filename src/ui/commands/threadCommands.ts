// Commands on a thread: copy its id, open its transcript or context file, resume it in a terminal.
import * as vscode from 'vscode';
import { isThreadId } from '../../core/threadId';
import type { CodexViews } from '../codexViews';
import type { ReadOnlyDocuments } from '../readOnlyDocuments';
import type { UiNode } from '../tree/uiNode';
import { pickThread } from './pickTarget';

export function registerThreadCommands(views: CodexViews, docs: ReadOnlyDocuments, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const model = () => views.model(false);
  return [
    vscode.commands.registerCommand('codexThreadContext.copyThreadId', async (node?: UiNode) => {
      const t = await pickThread(node, model());
      if (t) {
        await vscode.env.clipboard.writeText(t.id);
        vscode.window.setStatusBarMessage(`Copied Codex thread id ${t.id}`, 3000);
      }
    }),
    vscode.commands.registerCommand('codexThreadContext.openTranscript', async (node?: UiNode) => {
      const t = await pickThread(node, model(), (x) => x.rolloutPath !== undefined);
      if (!t) {
        return;
      }
      if (!t.rolloutPath) {
        void vscode.window.showInformationMessage('This thread has no transcript yet: Codex writes it at the first message.');
        return;
      }
      await docs.open(t.rolloutPath, 'jsonl');
    }),
    vscode.commands.registerCommand('codexThreadContext.openContextFile', async (node?: UiNode) => {
      const t = await pickThread(node, model(), (x) => x.contextFile !== undefined);
      if (!t) {
        return;
      }
      if (!t.contextFile) {
        void vscode.window.showInformationMessage('This thread has no context file yet.');
        return;
      }
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(t.contextFile));
      await vscode.window.showTextDocument(doc, { preview: true });
    }),
    vscode.commands.registerCommand('codexThreadContext.resumeThread', async (node?: UiNode) => {
      const t = await pickThread(node, model());
      if (!t || !isThreadId(t.id)) {
        return;
      }
      const terminal = vscode.window.createTerminal({ name: `Codex ${t.shortId}`, cwd: t.cwd, iconPath: new vscode.ThemeIcon('comment-discussion') });
      terminal.show();
      terminal.sendText(`codex resume ${t.id}`);
      log.info(`resume: codex resume ${t.id} in ${t.cwd}`);
    }),
  ];
}
