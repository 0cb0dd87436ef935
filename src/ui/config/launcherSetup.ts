// What the launcher should contain for this extension install. The shim runs with `node` from
// PATH when it is new enough (the launcher checks at each start, Codex's PATH is not VS Code's);
// VS Code's executable is recorded as the runtime to fall back on.

import * as path from 'node:path';
import type { LauncherTarget } from '../../core/launcher';

export function launcherTargetFor(extensionPath: string, version: string): LauncherTarget {
  return {
    shimPath: path.join(extensionPath, 'dist', 'shim.js'),
    // The extension host runs in VS Code's executable (Electron): with ELECTRON_RUN_AS_NODE=1 it is Node.
    editorRuntime: process.execPath,
    version,
  };
}
