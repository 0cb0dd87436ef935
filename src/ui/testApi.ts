// What activate() returns: the API the integration tests reach through
// vscode.extensions.getExtension(...).exports (CONTRACTS.md).
import type { CodexViews } from './codexViews';
import type { TreeSnapshotNode } from './tree/treeSnapshot';

export interface CodexThreadContextApi {
  /** Resolves once pending refreshes have been applied to the views. */
  whenIdle(): Promise<void>;
  /** What a view shows now, as plain data (recursive). */
  snapshot(view: 'threads' | 'servers'): Promise<TreeSnapshotNode[]>;
}

export function createApi(views: CodexViews): CodexThreadContextApi {
  return {
    whenIdle: () => views.whenIdle(),
    snapshot: async (view) => {
      await views.whenIdle();
      return views.snapshot(view);
    },
  };
}
