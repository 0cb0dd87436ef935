// A row of one of the tree views: what it looks like (plain data from core) and what it stands
// for, so commands get the thread, binding or configured server they act on.
import type { McpServerConfig } from '../../core/codexConfig/types';
import type { ItemPresentation } from '../../core/workspace/treePresentation';
import type { BindingView, ThreadView } from '../../core/workspace/threadModel';

export interface UiNode {
  /** Stable across refreshes (VS Code keeps expansion and selection by id). */
  id: string;
  presentation: ItemPresentation;
  children: UiNode[];
  parent?: UiNode;
  expanded?: boolean;
  /** Runs on click (e.g. an error row opens the file at its line). */
  command?: { command: string; title: string; arguments?: unknown[] };
  thread?: ThreadView;
  binding?: BindingView;
  /** MCP Servers items (the contract with the config commands: `node.config`). */
  config?: McpServerConfig;
}

/** Sets every child's parent (for TreeView.reveal) and returns the roots. */
export function linkParents(roots: UiNode[], parent?: UiNode): UiNode[] {
  for (const n of roots) {
    n.parent = parent;
    linkParents(n.children, n);
  }
  return roots;
}
