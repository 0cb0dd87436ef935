// The Threads view's rows, built from the workspace model.
import { bindingPresentation, threadPresentation } from '../../core/workspace/treePresentation';
import type { BindingView, ThreadView, WorkspaceModel } from '../../core/workspace/threadModel';
import type { UiNode } from '../tree/uiNode';
import { withTerminal, type TerminalLookup } from '../terminals/terminalDecoration';

export interface Notice {
  kind: 'error' | 'warning';
  message: string;
}

export function threadNode(t: ThreadView, now: number, idPrefix = 'threads', terminals?: TerminalLookup): UiNode {
  const id = `${idPrefix}/${t.id}`;
  return {
    id,
    presentation: withTerminal(threadPresentation(t), t.id, terminals),
    thread: t,
    children: [...t.bindings.map((b, i) => bindingNode(b, t, now, `${id}/b${i}`)), ...t.children.map((c) => threadNode(c, now, idPrefix, terminals))],
  };
}

function bindingNode(b: BindingView, t: ThreadView, now: number, id: string): UiNode {
  return { id: `${id}:${b.record.server}:${b.record.shimPid}:${b.record.startedAt}`, presentation: bindingPresentation(b, now), thread: t, binding: b, children: [] };
}

export function noticeNode(n: Notice, i: number): UiNode {
  return {
    id: `notice/${i}/${n.message}`,
    presentation: {
      label: n.message,
      icon: n.kind === 'error' ? { id: 'error', color: 'list.errorForeground' } : { id: 'warning', color: 'list.warningForeground' },
      contextValue: `notice.${n.kind}`,
      tooltip: () => `${n.message}\n\nDetails are in the log (Output → Codex Thread Context).`,
    },
    command: { command: 'codexThreadContext.showLog', title: 'Show Log' },
    children: [],
  };
}

export function threadRoots(model: WorkspaceModel, notices: readonly Notice[], now: number, terminals?: TerminalLookup): UiNode[] {
  const out: UiNode[] = notices.map(noticeNode);
  const folderChildren = (f: WorkspaceModel['folders'][number], prefix: string): UiNode[] => {
    const nodes = f.live.map((t) => threadNode(t, now, prefix, terminals));
    if (f.ended.length > 0) {
      const days = model.sinceDays;
      nodes.push({
        id: `${prefix}/ended`,
        presentation: {
          label: 'Ended',
          description: `${f.ended.length} in the last ${days === 1 ? 'day' : `${days} days`}`,
          icon: { id: 'history' },
          contextValue: 'endedGroup',
        },
        expanded: false,
        children: f.ended.map((t) => threadNode(t, now, prefix, terminals)),
      });
    }
    return nodes;
  };
  if (model.folders.length === 1) {
    out.push(...folderChildren(model.folders[0], 'threads'));
    return out;
  }
  for (const f of model.folders) {
    const children = folderChildren(f, `threads/${f.folder.path}`);
    const live = f.live.length;
    out.push({
      id: `folder/${f.folder.path}`,
      presentation: {
        label: f.folder.name,
        description: live > 0 ? `${live} live` : children.length > 0 ? 'no live thread' : 'no threads',
        icon: { id: 'root-folder' },
        contextValue: 'workspaceFolder',
        tooltip: () => `Codex threads whose working directory is inside \`${f.folder.path}\``,
      },
      children,
    });
  }
  return out;
}
