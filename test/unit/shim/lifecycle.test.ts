// Process life of dist/shim.js: exit statuses as a shell reports them, signals, the stop sequence
// at stdin EOF, and what happens to the server when Codex or the shim itself is SIGKILLed.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShimRun, cleanEnv, cleanupAll, eventually, fixture, initializeRequest, pidAlive, skipUnlessLinux, tempDir, trackPid } from './helpers';

const node = process.execPath;

async function serverPid(run: ShimRun): Promise<number> {
  run.send(initializeRequest(0));
  const reply = await run.response(0);
  const pid = Number((reply.result as { serverInfo: { version: string } }).serverInfo.version);
  trackPid(pid);
  return pid;
}

describe('shim process life (dist/shim.js)', function () {
  this.timeout(30_000);
  afterEach(cleanupAll);

  describe('exit status', () => {
    it('is the server exit code', async () => {
      const run = ShimRun.start(['--', node, fixture('exit-with.mjs'), 'code', '3'], cleanEnv());
      assert.deepEqual(await run.exited, { code: 3, signal: null });
      assert.equal(run.messages[0]?.method, 'test/started', 'the output written before exiting is relayed');
    });

    it('is 128+n when the server is killed by signal n', async function () {
      skipUnlessLinux(this);
      for (const [sig, status] of [['SIGKILL', 137], ['SIGTERM', 143], ['SIGSEGV', 139]] as const) {
        const run = ShimRun.start(['--', node, fixture('exit-with.mjs'), 'signal', sig], cleanEnv());
        assert.deepEqual(await run.exited, { code: status, signal: null }, sig);
      }
    });

    it('is 127 with a clear message when the command does not exist', async () => {
      const run = ShimRun.start(['--', 'no-such-command-xyz', '--flag'], cleanEnv());
      assert.deepEqual(await run.exited, { code: 127, signal: null });
      assert.match(run.stderr, /cannot start "no-such-command-xyz": command not found/);
      assert.equal(run.stdoutLength, 0);
    });

    it('is 126 when the command is not executable', async function () {
      skipUnlessLinux(this);
      const file = path.join(tempDir(), 'server.sh');
      fs.writeFileSync(file, '#!/bin/sh\necho hi\n', { mode: 0o644 });
      const run = ShimRun.start(['--', file], cleanEnv());
      assert.deepEqual(await run.exited, { code: 126, signal: null });
      assert.match(run.stderr, /permission denied/);
      const dir = ShimRun.start(['--', tempDir()], cleanEnv());
      assert.equal((await dir.exited).code, 126);
    });

    it('is 2 for usage errors, with the usage on stderr and nothing on stdout', async () => {
      const run = ShimRun.start(['--wait', 'x', '--', node], cleanEnv());
      assert.deepEqual(await run.exited, { code: 2, signal: null });
      assert.match(run.stderr, /--wait/);
      assert.match(run.stderr, /usage: codex-thread-shim/);
      assert.equal(run.stdoutLength, 0);
    });

    it('prints --help and --version on stdout and exits 0', async () => {
      const help = ShimRun.start(['--help'], cleanEnv());
      assert.equal((await help.exited).code, 0);
      assert.match(help.stdoutBytes().toString(), /--if-unresolved start\|fail[\s\S]*127/);
      const version = ShimRun.start(['--version'], cleanEnv());
      assert.equal((await version.exited).code, 0);
      assert.match(version.stdoutBytes().toString(), /^codex-thread-shim \d+\.\d+\.\d+\n$/);
    });
  });

  describe('signals', () => {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      it(`forwards ${sig} to the server and exits with its status`, async function () {
        skipUnlessLinux(this);
        const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_REPORT_SIGNALS: '1' }));
        const pid = await serverPid(run);
        process.kill(run.pid, sig); // the shim only, not its group
        const report = await run.message((m) => m.method === 'test/signal', 'the server to report the signal');
        assert.deepEqual(report.params, { signal: sig, pid });
        assert.deepEqual(await run.exited, { code: 0, signal: null });
        await eventually(() => !pidAlive(pid), 'the server to be gone');
      });
    }

    it('SIGKILLs a server that ignores a forwarded SIGTERM, after the grace period', async function () {
      skipUnlessLinux(this);
      const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_IGNORE_TERM: '1', FIXTURE_IGNORE_EOF: '1' }));
      const pid = await serverPid(run);
      process.kill(run.pid, 'SIGTERM');
      await run.stderrMatching(/ignoring SIGTERM/);
      assert.deepEqual(await run.exited, { code: 137, signal: null });
      assert.equal(pidAlive(pid), false);
    });
  });

  describe('stdin EOF', () => {
    it('closes the server stdin and exits with the server when it exits on EOF', async () => {
      const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ CODEX_THREAD_SHIM_GRACE_MS: '20000' }));
      const pid = await serverPid(run);
      run.endInput();
      assert.deepEqual(await run.exited, { code: 0, signal: null });
      assert.equal(pidAlive(pid), false);
    });

    it('then SIGTERMs a server that ignores EOF', async function () {
      skipUnlessLinux(this);
      const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_IGNORE_EOF: '1' }));
      const pid = await serverPid(run);
      run.endInput();
      assert.deepEqual(await run.exited, { code: 143, signal: null });
      assert.equal(pidAlive(pid), false);
    });

    it('then SIGKILLs a server that ignores EOF and SIGTERM; no process is left', async function () {
      skipUnlessLinux(this);
      const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_IGNORE_EOF: '1', FIXTURE_IGNORE_TERM: '1' }));
      const pid = await serverPid(run);
      run.endInput();
      await run.stderrMatching(/ignoring SIGTERM/);
      assert.deepEqual(await run.exited, { code: 137, signal: null });
      assert.equal(pidAlive(pid), false);
      assert.equal(pidAlive(run.pid), false);
    });
  });

  describe('no orphans', () => {
    it('when the shim is SIGKILLed, a well-behaved server sees EOF and exits', async function () {
      skipUnlessLinux(this);
      const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv());
      const pid = await serverPid(run);
      process.kill(run.pid, 'SIGKILL');
      await run.exited;
      await eventually(() => !pidAlive(pid), 'the orphaned server to exit');
    });

    it('when Codex dies (stdin EOF, stdout closed), even a server ignoring EOF and SIGTERM is killed', async function () {
      skipUnlessLinux(this);
      const run = ShimRun.start(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_IGNORE_EOF: '1', FIXTURE_IGNORE_TERM: '1' }));
      const pid = await serverPid(run);
      run.child.stdout!.destroy();
      run.endInput();
      await run.exited;
      assert.equal(pidAlive(pid), false);
    });
  });
});
