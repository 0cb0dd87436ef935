import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codexMode, codexProcessesUnder } from '../../../src/core/terminals/codexInProcessTree';
import { waitFor } from '../../support/wait';

const ID_A = '019a2b3c-4d5e-7f60-8a1b-2c3d4e5f6a7b';
const ID_B = '019a2b3c-4d5e-7f60-8a1b-2c3d4e5f6a7c';

describe('Codex processes under a terminal shell (real processes, Linux /proc)', function () {
  this.timeout(20_000);
  let dir: string;
  let shell: ChildProcess | undefined;

  before(function () {
    if (process.platform !== 'linux') {
      this.skip();
    }
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-term-'));
    fs.mkdirSync(path.join(dir, 'home', 'thread-writer-locks'), { recursive: true });
    // A program whose kernel name is `codex`: a symlink to node, as the native binary would be named.
    fs.symlinkSync(process.execPath, path.join(dir, 'codex'));
    fs.writeFileSync(
      path.join(dir, 'hold.js'),
      `const fs = require('fs'); process.argv.slice(2).filter((f) => f.endsWith('.lock')).forEach((f) => fs.openSync(f, 'w')); console.log('ready'); setInterval(() => {}, 1000);`,
    );
  });

  afterEach(async () => {
    if (shell?.pid && shell.exitCode === null && shell.signalCode === null) {
      const exited = new Promise((r) => shell!.once('exit', r));
      try {
        process.kill(-shell.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await exited;
    }
    shell = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A shell (its own process group) that runs `codex <args>` as a child and waits. */
  async function shellRunningCodex(args: string[], cwd: string): Promise<number> {
    const quoted = args.map((a) => `'${a}'`).join(' ');
    shell = spawn('/bin/sh', ['-c', `'${path.join(dir, 'codex')}' ${quoted}; :`], { cwd, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => shell!.stdout!.once('data', () => resolve()));
    return shell.pid!;
  }

  it('finds an exec-like Codex holding one thread lock: exact thread id, Codex home, cwd and start time', async () => {
    const lock = path.join(dir, 'home', 'thread-writer-locks', `${ID_A}.lock`);
    const before = Date.now();
    const shellPid = await shellRunningCodex([path.join(dir, 'hold.js'), 'exec', lock], dir);
    const found = await waitFor(async () => {
      const list = await codexProcessesUnder(shellPid);
      return list.length === 1 && list[0].lockedThreadIds.length === 1 ? list : undefined;
    }, { timeoutMs: 5000, description: 'the codex process and its lock' });
    assert.deepEqual(found[0].lockedThreadIds, [ID_A]);
    assert.equal(found[0].codexHome, path.join(dir, 'home'));
    assert.equal(found[0].cwd, fs.realpathSync(dir));
    assert.ok(found[0].startedAtMs !== undefined && Math.abs(found[0].startedAtMs - before) < 2000, `start ${found[0].startedAtMs} vs ${before}`);
  });

  it('reports a TUI-like Codex that holds no thread file, and two locks of a --no-daemon one', async () => {
    const a = path.join(dir, 'home', 'thread-writer-locks', `${ID_A}.lock`);
    const b = path.join(dir, 'home', 'thread-writer-locks', `${ID_B}.lock`);
    const shellPid = await shellRunningCodex([path.join(dir, 'hold.js'), a, b], dir);
    const found = await codexProcessesUnder(shellPid);
    assert.equal(found.length, 1);
    assert.deepEqual([...found[0].lockedThreadIds].sort(), [ID_A, ID_B]);
  });

  it('finds nothing under a shell that runs no Codex, and nothing for a pid that is gone', async () => {
    shell = spawn('/bin/sh', ['-c', 'echo ready; sleep 30; :'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => shell!.stdout!.once('data', () => resolve()));
    assert.deepEqual(await codexProcessesUnder(shell.pid!), []);
    assert.deepEqual(await codexProcessesUnder(2 ** 22 + 12345), []);
  });

  it('tells exec, TUI, no-daemon TUI and app-server apart from argv', () => {
    assert.equal(codexMode(['codex', 'exec', '--json', 'hi']), 'exec');
    assert.equal(codexMode(['codex']), 'tui');
    assert.equal(codexMode(['codex', '--no-daemon']), 'tui-no-daemon');
    assert.equal(codexMode(['codex', 'resume', 'x']), 'tui');
    assert.equal(codexMode(['codex', 'app-server', '--listen', 'unix://']), 'app-server');
    assert.equal(codexMode(['codex', 'mcp', 'list']), 'other');
  });
});
