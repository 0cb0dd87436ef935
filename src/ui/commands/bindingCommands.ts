// Commands on an MCP server binding: show the server's stderr tail, stop an orphaned or
// duplicate server's process tree (after the user confirms).
import * as vscode from 'vscode';
import { bindingProcessTree, stopProcesses } from '../../core/workspace/processTree';
import type { CodexViews } from '../codexViews';
import type { ReadOnlyDocuments } from '../readOnlyDocuments';
import type { ThreadsSession } from '../threadsSession';
import type { UiNode } from '../tree/uiNode';
import { pickBinding } from './pickTarget';

export function registerBindingCommands(views: CodexViews, session: ThreadsSession, docs: ReadOnlyDocuments, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const model = () => views.model(false);
  return [
    vscode.commands.registerCommand('codexThreadContext.showServerStderr', async (node?: UiNode) => {
      const b = await pickBinding(node, model(), (x) => x.record.stderrLog !== undefined);
      if (!b) {
        return;
      }
      if (!b.record.stderrLog) {
        void vscode.window.showInformationMessage(`${b.server}: the shim kept no stderr for this server.`);
        return;
      }
      await docs.open(b.record.stderrLog, 'log');
    }),
    vscode.commands.registerCommand('codexThreadContext.stopServerProcesses', async (node?: UiNode) => {
      const b = await pickBinding(node, model(), (x) => x.flag !== undefined);
      if (!b) {
        return;
      }
      const pids = await bindingProcessTree(b.record);
      if (pids.length === 0) {
        void vscode.window.showInformationMessage(`${b.server}: its processes are already gone.`);
        await session.refresh();
        return;
      }
      const why = b.flag === 'orphan' ? 'still runs although its Codex thread was unloaded' : 'is a second instance in the same thread';
      const choice = await vscode.window.showWarningMessage(
        `Stop the MCP server "${b.server}"? It ${why}.`,
        { modal: true, detail: `This ends processes ${pids.join(', ')} (SIGTERM, then SIGKILL after 2 s).` },
        'Stop',
      );
      if (choice !== 'Stop') {
        return;
      }
      const survivors = await stopProcesses(pids);
      log.info(`stop: ${b.server} of thread ${b.threadId}: ended ${pids.filter((p) => !survivors.includes(p)).join(', ') || 'nothing'}${survivors.length ? `; still alive: ${survivors.join(', ')}` : ''}`);
      if (survivors.length > 0) {
        void vscode.window.showErrorMessage(`Could not stop processes ${survivors.join(', ')} of ${b.server}.`);
      }
      await session.refresh();
    }),
  ];
}
