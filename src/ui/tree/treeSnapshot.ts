// What a view shows, as plain data, for the integration tests (the test API in CONTRACTS.md).
import * as vscode from 'vscode';
import type { NodeTreeProvider } from './nodeTreeProvider';
import type { UiNode } from './uiNode';

export interface TreeSnapshotNode {
  label: string;
  description?: string;
  tooltip?: string;
  contextValue?: string;
  icon?: string;
  iconColor?: string;
  children: TreeSnapshotNode[];
}

export function snapshotTree(provider: NodeTreeProvider): TreeSnapshotNode[] {
  const walk = (nodes: UiNode[]): TreeSnapshotNode[] =>
    nodes.map((node) => {
      const item = provider.resolveTreeItem(provider.getTreeItem(node), node);
      const icon = item.iconPath instanceof vscode.ThemeIcon ? node.presentation.icon : undefined;
      const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : typeof item.tooltip === 'string' ? item.tooltip : undefined;
      return {
        label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
        ...(typeof item.description === 'string' ? { description: item.description } : {}),
        ...(tooltip ? { tooltip } : {}),
        ...(item.contextValue ? { contextValue: item.contextValue } : {}),
        ...(icon ? { icon: icon.id } : {}),
        ...(icon?.color ? { iconColor: icon.color } : {}),
        children: walk(provider.getChildren(node)),
      };
    });
  return walk(provider.getChildren());
}
