// Commands on the views themselves: refresh, live only / all, reveal a row in the other view,
// and the small helpers rows and welcome content link to.
import * as vscode from 'vscode';
import type { CodexConfigFiles } from '../servers/codexConfigFiles';
import type { CodexViews } from '../codexViews';
import type { ThreadsSession } from '../threadsSession';
import type { UiNode } from '../tree/uiNode';

export function registerViewCommands(
  views: CodexViews,
  session: ThreadsSession,
  configs: CodexConfigFiles,
  log: vscode.LogOutputChannel,
  extensionUri: vscode.Uri,
): vscode.Disposable[] {
  const reloadConfigs = (): Promise<void> => configs.use(session.settings.codexHome, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
  return [
    vscode.commands.registerCommand('codexThreadContext.refresh', async () => {
      log.info('views: refresh asked for');
      await Promise.all([session.refresh(), reloadConfigs()]);
    }),
    vscode.commands.registerCommand('codexThreadContext.showLiveOnly', () => views.setLiveOnly(true)),
    vscode.commands.registerCommand('codexThreadContext.showAllThreads', () => views.setLiveOnly(false)),
    vscode.commands.registerCommand('codexThreadContext.showLog', () => log.show(true)),
    vscode.commands.registerCommand('codexThreadContext.revealInServers', async (node?: UiNode) => {
      const b = node?.binding;
      if (!b) {
        return;
      }
      const target =
        views.servers.find((n) => n.binding?.record === b.record) ??
        views.servers.find((n) => n.config?.name === b.server) ??
        views.servers.find((n) => n.presentation.label === b.server && n.presentation.contextValue === 'mcpServer.unconfigured');
      if (target) {
        await views.serversView.reveal(target, { select: true, focus: true, expand: true });
      } else {
        void vscode.window.showInformationMessage(`${b.server} is not in the MCP Servers view (not in the config files of this workspace, and not running).`);
      }
    }),
    vscode.commands.registerCommand('codexThreadContext.revealInThreads', async (node?: UiNode) => {
      const t = node?.thread;
      if (!t) {
        return;
      }
      if (views.liveOnly && !t.live) {
        await views.setLiveOnly(false);
      }
      const target = views.threads.find((n) => n.thread?.id === t.id && !n.binding);
      if (target) {
        await views.threadsView.reveal(target, { select: true, focus: true, expand: true });
      }
    }),
    vscode.commands.registerCommand('codexThreadContext.openConfigAt', async (file: string, line: number, column: number) => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const pos = new vscode.Position(Math.max(line - 1, 0), Math.max(column - 1, 0));
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
    }),
    vscode.commands.registerCommand('codexThreadContext.openReadme', async (section?: string) => {
      const readme = vscode.Uri.joinPath(extensionUri, 'README.md');
      await vscode.commands.executeCommand('markdown.showPreview', section ? readme.with({ fragment: section }) : readme);
    }),
  ];
}
