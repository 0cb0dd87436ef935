// What the launcher should contain for this extension install, and installing it at activation.
// The shim runs with `node` from PATH when it is new enough; the node VS Code's own environment
// finds is checked once here so the launcher can skip the check for it (one process less at every
// server start), and VS Code's executable is recorded as the runtime to fall back on.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MIN_NODE_MAJOR, type LauncherTarget } from '../../core/launcher';

export async function launcherTargetFor(extensionPath: string, version: string, env: NodeJS.ProcessEnv = process.env): Promise<LauncherTarget> {
  return {
    shimPath: path.join(extensionPath, 'dist', 'shim.js'),
    // The extension host runs in VS Code's executable (Electron): with ELECTRON_RUN_AS_NODE=1 it is Node.
    editorRuntime: process.execPath,
    trustedNode: await newEnoughNodeOnPath(env),
    version,
  };
}

async function newEnoughNodeOnPath(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (process.platform === 'win32') {
    return undefined;
  }
  const node = (env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'node')).find((p) => isExecutable(p));
  if (!node) {
    return undefined;
  }
  const major = await new Promise<number>((resolve) => {
    execFile(node, ['-p', 'process.versions.node'], { timeout: 5000 }, (err, stdout) => resolve(err ? 0 : Number(String(stdout).split('.')[0])));
  });
  return major >= MIN_NODE_MAJOR ? node : undefined;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
