// Item commands also run from the command palette, where no row was clicked: then the user
// picks the thread or binding from a list.
import * as vscode from 'vscode';
import type { BindingView, ThreadView, WorkspaceModel } from '../../core/workspace/threadModel';
import type { UiNode } from '../tree/uiNode';

export async function pickThread(node: UiNode | undefined, model: WorkspaceModel, filter: (t: ThreadView) => boolean = () => true): Promise<ThreadView | undefined> {
  if (node?.thread) {
    return node.thread;
  }
  const threads = [...model.byId.values()].filter(filter);
  if (threads.length === 0) {
    void vscode.window.showInformationMessage('Codex Thread Context: no Codex thread of this workspace fits.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    threads.map((t) => ({ label: t.label, description: t.description, detail: t.id, thread: t })),
    { placeHolder: 'Codex thread', matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.thread;
}

export async function pickBinding(node: UiNode | undefined, model: WorkspaceModel, filter: (b: BindingView) => boolean): Promise<BindingView | undefined> {
  if (node?.binding) {
    return node.binding;
  }
  const bindings = [...model.byId.values()].flatMap((t) => t.bindings.filter(filter).map((b) => ({ b, t })));
  if (bindings.length === 0) {
    void vscode.window.showInformationMessage('Codex Thread Context: no MCP server binding of this workspace fits.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    bindings.map(({ b, t }) => ({ label: b.server, description: `${b.stateText} · ${t.label}`, detail: t.id, binding: b })),
    { placeHolder: 'MCP server binding', matchOnDescription: true },
  );
  return picked?.binding;
}
