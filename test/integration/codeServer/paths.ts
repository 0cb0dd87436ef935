// Where the real-VS-Code harness keeps things: the repository it tests and the cache that holds
// Node 24 and code-server (hundreds of MB, installed once, shared by every run).

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Pinned versions: code-server 4.139.1 is VS Code 1.139.1 and its postinstall requires Node 24. */
export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_VERSION = '24.21.0';

/** Set to share one install between clones (e.g. /work/cache/vscode-test on the build machines). */
export const CACHE_ENV = 'CODEX_TC_VSCODE_CACHE';

/**
 * The repository root: the nearest folder above this file with the extension's package.json and
 * its build script (tsc copies package.json into out/ too, so the name alone is not enough).
 */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'codex-thread-context' && fs.existsSync(path.join(dir, 'esbuild.config.mjs'))) {
        return dir;
      }
    } catch {
      // not here: go up
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find the codex-thread-context package.json above ${__dirname}`);
    }
  }
}

/** `$CODEX_TC_VSCODE_CACHE`, else `<repo>/.vscode-test` (git-ignored, as @vscode/test-electron's). */
export function cacheDir(): string {
  const fromEnv = process.env[CACHE_ENV];
  return path.resolve(fromEnv && fromEnv.trim() ? fromEnv : path.join(repoRoot(), '.vscode-test'));
}

/** What an install provides. */
export interface CodeServerInstall {
  /** Node 24's executable: code-server runs on it. */
  node: string;
  /** Node 24's folder (bin/, include/). */
  nodeDir: string;
  /** code-server's entry script (`node <entry> [options]`). */
  entry: string;
}

export function installPaths(cache = cacheDir()): CodeServerInstall & { codeServerPrefix: string } {
  const nodeDir = path.join(cache, `node-${NODE_VERSION}-linux-x64`);
  const codeServerPrefix = path.join(cache, `code-server-${CODE_SERVER_VERSION}`);
  return {
    nodeDir,
    node: path.join(nodeDir, 'bin', 'node'),
    codeServerPrefix,
    entry: path.join(codeServerPrefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}
