// One TreeDataProvider for both views: the roots are rebuilt from the model on refresh; tooltips
// are built only when VS Code asks (resolveTreeItem), as Container Tools does.
import * as vscode from 'vscode';
import { linkParents, type UiNode } from './uiNode';

export class NodeTreeProvider implements vscode.TreeDataProvider<UiNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<UiNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: UiNode[] | undefined;
  private readonly byId = new Map<string, UiNode>();

  constructor(private readonly build: () => UiNode[]) {}

  /** Drops the current rows; VS Code asks for new ones. */
  refresh(): void {
    this.roots = undefined;
    this.changed.fire(undefined);
  }

  rootNodes(): UiNode[] {
    if (!this.roots) {
      this.roots = linkParents(this.build());
      this.byId.clear();
      const index = (nodes: UiNode[]): void => {
        for (const n of nodes) {
          this.byId.set(n.id, n);
          index(n.children);
        }
      };
      index(this.roots);
    }
    return this.roots;
  }

  find(predicate: (n: UiNode) => boolean): UiNode | undefined {
    this.rootNodes();
    for (const n of this.byId.values()) {
      if (predicate(n)) {
        return n;
      }
    }
    return undefined;
  }

  getChildren(node?: UiNode): UiNode[] {
    return node ? node.children : this.rootNodes();
  }

  getParent(node: UiNode): UiNode | undefined {
    return node.parent;
  }

  getTreeItem(node: UiNode): vscode.TreeItem {
    const p = node.presentation;
    const state =
      node.children.length === 0
        ? vscode.TreeItemCollapsibleState.None
        : node.expanded === false
          ? vscode.TreeItemCollapsibleState.Collapsed
          : vscode.TreeItemCollapsibleState.Expanded;
    const item = new vscode.TreeItem(p.label, state);
    item.id = node.id;
    item.description = p.description;
    item.contextValue = p.contextValue;
    if (p.icon) {
      item.iconPath = new vscode.ThemeIcon(p.icon.id, p.icon.color ? new vscode.ThemeColor(p.icon.color) : undefined);
    }
    if (node.command) {
      item.command = node.command;
    }
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, node: UiNode): vscode.TreeItem {
    const md = node.presentation.tooltip?.();
    if (md) {
      const tooltip = new vscode.MarkdownString(md, true);
      tooltip.isTrusted = false;
      item.tooltip = tooltip;
    }
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
