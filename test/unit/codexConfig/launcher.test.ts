// The launcher at <codex home>/bin/codex-thread-shim, run as Codex runs a server: a real sh, the
// real bundled shim (dist/shim.js), real child processes.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installLauncher, launcherPath, launcherState, type LauncherTarget } from '../../../src/core/launcher';

const REPO = path.resolve(__dirname, '../../../..');
const SHIM_JS = path.join(REPO, 'dist', 'shim.js');
const THREAD = '01a20dd3-146f-7680-86a1-782e736bec86';
/** A tiny server: prints its argv and the thread variables, then exits. */
const PRINT_ENV = 'console.log(JSON.stringify({argv: process.argv.slice(1), tid: process.env.CODEX_THREAD_ID ?? null, sid: process.env.CODEX_SESSION_ID ?? null, electron: process.env.ELECTRON_RUN_AS_NODE ?? null}))';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    // stdin stays open, as Codex keeps it: the server ends the run by exiting on its own (a closed
    // stdin would make the shim stop the server).
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}

(process.platform === 'win32' ? describe.skip : describe)('launcher', () => {
  let root: string;
  let codexHome: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-'));
    codexHome = path.join(root, '.codex');
    fs.mkdirSync(codexHome);
    env = { PATH: process.env.PATH, HOME: root, CODEX_HOME: codexHome };
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const target = (over: Partial<LauncherTarget> = {}): LauncherTarget => ({ shimPath: SHIM_JS, version: '0.0.0-test', ...over });

  it('runs the bundled shim with node from PATH: the server gets the thread id', async () => {
    const { path: launcher } = await installLauncher(codexHome, target());
    const version = await run(launcher, ['--version'], env);
    assert.match(version.stdout, /^codex-thread-shim \d/);
    const r = await run(launcher, ['--wait', '0', '--', process.execPath, '-e', PRINT_ENV, 'a b', 'c'], { ...env, CODEX_THREAD_ID: THREAD });
    assert.equal(r.code, 0, r.stderr);
    // CODEX_SESSION_ID is set by the shim only: proof the server ran under it.
    assert.deepEqual(JSON.parse(r.stdout), { argv: ['a b', 'c'], tid: THREAD, sid: THREAD, electron: null });
  });

  it('fails open when the shim is gone: runs the server itself, with one line on stderr', async () => {
    const { path: launcher } = await installLauncher(codexHome, target({ shimPath: path.join(root, 'uninstalled', 'shim.js') }));
    const r = await run(launcher, ['--name', 'notes', '--', process.execPath, '-e', PRINT_ENV, '--', '--flag', 'x'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { argv: ['--flag', 'x'], tid: null, sid: null, electron: null });
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /shim .* is gone .*starting .* directly, without a thread id/);
  });

  it('uses the editor runtime (ELECTRON_RUN_AS_NODE=1) when PATH has no node', async () => {
    const emptyPath = path.join(root, 'empty-path');
    fs.mkdirSync(emptyPath);
    const fakeEditor = path.join(root, 'code');
    fs.writeFileSync(fakeEditor, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$@"\n`, { mode: 0o755 });
    const { path: launcher } = await installLauncher(codexHome, target({ editorRuntime: fakeEditor }));
    const r = await run(launcher, ['--wait', '0', '--', process.execPath, '-e', PRINT_ENV], { ...env, PATH: emptyPath, CODEX_THREAD_ID: THREAD });
    assert.equal(r.code, 0, r.stderr);
    // The shim passes its environment on, so the server sees the runtime switch the launcher made.
    assert.deepEqual(JSON.parse(r.stdout), { argv: [], tid: THREAD, sid: THREAD, electron: '1' });
  });

  it('skips a node older than 20 on PATH for the editor runtime', async () => {
    const oldNodeDir = path.join(root, 'old-node');
    fs.mkdirSync(oldNodeDir);
    // Answers --version as Node 18 does, and fails loudly if used to run the shim.
    fs.writeFileSync(path.join(oldNodeDir, 'node'), '#!/bin/sh\nif [ "$1" = "--version" ]; then echo v18.20.4; exit 0; fi\necho old node used >&2; exit 99\n', { mode: 0o755 });
    const fakeEditor = path.join(root, 'code');
    fs.writeFileSync(fakeEditor, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} "$@"\n`, { mode: 0o755 });
    const { path: launcher } = await installLauncher(codexHome, target({ editorRuntime: fakeEditor }));
    const r = await run(launcher, ['--', process.execPath, '-e', PRINT_ENV], { ...env, PATH: oldNodeDir, CODEX_THREAD_ID: THREAD });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).electron, '1');
  });

  it('installs idempotently: 0755, rewritten only when the content differs', async () => {
    const first = await installLauncher(codexHome, target());
    assert.equal(first.path, launcherPath(codexHome));
    assert.equal(first.written.length, 2);
    assert.equal(fs.statSync(first.path).mode & 0o777, 0o755);
    const mtime = fs.statSync(first.path).mtimeMs;
    assert.deepEqual((await installLauncher(codexHome, target())).written, []);
    assert.equal(fs.statSync(first.path).mtimeMs, mtime);
    assert.equal(await launcherState(codexHome, target()), 'current');
    assert.equal(await launcherState(codexHome, target({ shimPath: '/new/extension/dist/shim.js' })), 'outdated');
    const again = await installLauncher(codexHome, target({ shimPath: '/new/extension/dist/shim.js' }));
    assert.equal(again.written.length, 2);
    assert.match(fs.readFileSync(first.path, 'utf8'), /\/new\/extension\/dist\/shim\.js/);
    assert.deepEqual(fs.readdirSync(path.join(codexHome, 'bin')).sort(), ['codex-thread-shim', 'codex-thread-shim.cmd']);
  });
});
