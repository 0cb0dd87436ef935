import * as assert from 'node:assert/strict';
import { bindingProcessTree, stopProcesses } from '../../../src/core/workspace/processTree';
import { isProcessAlive } from '../../../src/core/processAlive';
import { start, waitForOutput, type Started } from '../../support/processes';

describe('binding process trees (the Stop action)', function () {
  this.timeout(30_000);
  const children: Started[] = [];
  /** Every process a test started, the server and its grandchild too: none outlives the test. */
  const started: number[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) {
      c.child.kill('SIGKILL');
    }
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone (the test stopped it)
      }
    }
  });

  /** A "shim" that starts a "server" which itself starts a grandchild, and prints their pids. */
  async function shimWithServer(): Promise<{ shim: number; server: number; grandchild: number }> {
    const script = `
      const { spawn } = require('node:child_process');
      const server = spawn(process.execPath, ['-e', "const g = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(()=>{},1e3)'], {stdio: 'ignore'}); console.log(g.pid); process.on('SIGTERM', () => {}); setInterval(()=>{},1e3)"], { stdio: ['ignore', 'pipe', 'ignore'] });
      server.stdout.on('data', (d) => console.log(server.pid + ' ' + String(d).trim()));
      setInterval(() => {}, 1000);`;
    const p = start(process.execPath, ['-e', script]);
    children.push(p);
    await waitForOutput(p, (out) => /\d+ \d+/.test(out), 10_000, 'pids');
    const [server, grandchild] = p.stdout().trim().split(' ').map(Number);
    started.push(server, grandchild);
    return { shim: p.child.pid!, server, grandchild };
  }

  it('finds the shim, its server and what the server started, and ends them all, even a server that ignores SIGTERM', async () => {
    const pids = await shimWithServer();
    const tree = await bindingProcessTree({ shimPid: pids.shim, serverPid: pids.server, startedAt: new Date().toISOString() });
    assert.deepEqual([...tree].sort(), [pids.shim, pids.server, pids.grandchild].sort());
    const survivors = await stopProcesses(tree, 300);
    assert.deepEqual(survivors, []);
    for (const pid of tree) {
      assert.equal(isProcessAlive(pid), false, `pid ${pid} is gone`);
    }
  });

  it('refuses pids that started long after the binding did (a reused pid is not the recorded process)', async () => {
    const pids = await shimWithServer();
    const tree = await bindingProcessTree({ shimPid: pids.shim, serverPid: pids.server, startedAt: new Date(Date.now() - 3_600_000).toISOString() });
    assert.deepEqual(tree, []);
  });
});
