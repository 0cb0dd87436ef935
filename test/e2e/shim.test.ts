// The shim end to end: the real Codex CLI (pinned, offline, mock model API) runs the probe MCP
// server behind the built dist/shim.js, exactly as a user configures it in config.toml:
//
//   [mcp_servers.probe]
//   command = "node"
//   args = ["/abs/dist/shim.js", "--", "node", "/abs/probeServer.js", ...]
//
// Each test checks what a user would check: the id the server got in CODEX_THREAD_ID against the
// id Codex reports and the `_meta.threadId` of its calls, the context file the shim wrote, and
// that nothing is left running when Codex dies. Build first: `node esbuild.config.mjs`.
//
// EXEC_KILLS_AT_EXIT: at a normal exit Codex 0.169 sends SIGTERM to a server's process group and
// SIGKILLs the process it spawned (here: the shim) right after: ~30-90 ms later for `codex exec`
// (strace: kill(-pgid, SIGTERM), then kill(pid, SIGKILL)), ~2 ms after for an app-server whose
// stdin closed; not the 2 s that codex-facts.md gives. Whatever the shim writes after that SIGTERM
// may be lost, so tests assert a final `status` only where the acceptance criteria ask for it.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContextStore, isBindingLive } from '../../src/core/store/contextStore';
import type { McpBinding, ThreadContext } from '../../src/core/store/threadContext';
import { validateThreadContext } from '../../src/core/store/validateThreadContext';
import { isThreadId } from '../../src/core/threadId';
import { runCodexExec, startAppServer, startCodexExec, type AppServerThread } from '../support/codexCli';
import { createCodexFixture, type CodexFixture } from '../support/codexFixture';
import type { McpServerConfig } from '../support/codexTestHome';
import { lastJsonInOutput, type MockModelApi } from '../support/mockModelApi';
import {
  probeServerArgv,
  probeServerConfig,
  readProbeRecords,
  recordsOf,
  waitForProbeRecord,
  waitForProbeRecords,
  type ProbeStartRecord,
} from '../support/probeRecords';
import { isAlive, killTree, processArgv } from '../support/processTree';
import { waitFor } from '../support/wait';

const REPO = path.resolve(__dirname, '..', '..', '..');
/** The built shim; CTC_SHIM_UNDER_TEST runs the tests against another build (e.g. a mutant). */
const SHIM = process.env.CTC_SHIM_UNDER_TEST ? path.resolve(process.env.CTC_SHIM_UNDER_TEST) : path.join(REPO, 'dist', 'shim.js');

interface ShimmedProbeOptions {
  recordFile: string;
  /** Probe label; also its last argv word, so two servers' command lines differ. */
  name: string;
  /** CODEX_THREAD_CONTEXT_DIR (through the env table: Codex strips everything else); default store otherwise. */
  storeDir?: string;
  requireThreadId?: boolean;
  /** Start the shim as the command itself (its `#!/usr/bin/env node` line) instead of `node shim.js`. */
  shimAsCommand?: boolean;
  /** The shim's own options, before `--`. */
  shimOptions?: string[];
  /**
   * `required = true` (default): codex exec waits for the server before its first model request.
   * Without it exec waits only about 1 s, and on a loaded machine the request then goes out
   * without the server's tools; only the test of that window turns it off.
   */
  required?: boolean;
}

/** A `[mcp_servers.X]` entry: the probe behind the shim. */
function shimmedProbe(o: ShimmedProbeOptions): McpServerConfig {
  const direct = probeServerConfig({
    recordFile: o.recordFile,
    name: o.name,
    requireThreadId: o.requireThreadId,
    env: o.storeDir !== undefined ? { CODEX_THREAD_CONTEXT_DIR: o.storeDir } : {},
    extra: { required: o.required ?? true },
  });
  const shimArgs = [...(o.shimOptions ?? []), '--', ...probeServerArgv(o.recordFile, o.name)];
  return o.shimAsCommand
    ? { ...direct, command: SHIM, args: shimArgs }
    : { ...direct, command: process.execPath, args: [SHIM, ...shimArgs] };
}

function readContext(file: string): ThreadContext {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as ThreadContext;
}

/** Every thread file of a store, with its contents. */
async function allContexts(storeDir: string): Promise<{ file: string; context: ThreadContext }[]> {
  const store = new ContextStore({ root: storeDir });
  const out: { file: string; context: ThreadContext }[] = [];
  for (const ws of await store.listWorkspaces()) {
    out.push(...(await store.listThreads(ws.key)));
  }
  return out;
}

/** Waits until the context file's bindings of `server` satisfy `predicate`; returns the file's contents. */
function waitForBindings(file: string, server: string, predicate: (bindings: McpBinding[]) => boolean, timeoutMs = 10_000): Promise<ThreadContext> {
  let last = '';
  return waitFor(
    () => {
      const ctx = readContext(file);
      last = JSON.stringify(ctx.bindings);
      return predicate(ctx.bindings.filter((b) => b.server === server)) ? ctx : undefined;
    },
    { timeoutMs, description: `bindings of ${server} in ${file} to match`, diagnostics: () => `bindings: ${last}` },
  );
}

function startsNamed(recordFile: string, name: string): ProbeStartRecord[] {
  return recordsOf(recordFile, 'start').filter((r) => r.name === name);
}

/** The whoami output the model got back in `threadId`'s turn (what the model sees, parsed). */
function whoamiSeenByModel(mock: MockModelApi, threadId: string): Record<string, unknown> | undefined {
  const continuation = mock.responseRequests.find((r) => r.continuation && r.threadId === threadId);
  const output = continuation?.toolOutputs.at(-1)?.output;
  return output === undefined ? undefined : lastJsonInOutput(output);
}

/** Lock directories (`<file>.lock`) in a context store: held, or left by a process that was killed holding them. */
function lockDirsIn(storeDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name.endsWith('.lock')) {
        out.push(path.relative(storeDir, full));
      } else if (entry.isDirectory()) {
        walk(full);
      }
    }
  };
  if (fs.existsSync(storeDir)) {
    walk(storeDir);
  }
  return out;
}

/** Every probe and its parent (the shim) that a test started, read before the record file goes. */
function probeAndShimPids(recordFile: string): number[] {
  return [...new Set(recordsOf(recordFile, 'start').flatMap((r) => [r.ppid, r.pid]))];
}

/** Shims and probes left behind (re-parented after their Codex died); the command line is checked: pids get reused. */
async function killStrays(pids: number[]): Promise<void> {
  for (const pid of pids) {
    if (isAlive(pid) && processArgv(pid).some((a) => a === SHIM || a.endsWith('probeServer.js'))) {
      await killTree(pid).catch(() => undefined);
    }
  }
}

/** How the start-up resolution did in the app-server test, for the report. */
const resolutionLog: string[] = [];

describe('codex-thread-shim with the real Codex CLI (offline)', function () {
  this.timeout(60_000);
  let fx: CodexFixture | undefined;

  before(function () {
    if (process.platform !== 'linux') {
      this.skip(); // the helpers read /proc
    }
    assert.ok(fs.existsSync(SHIM), `${SHIM} is missing: run \`node esbuild.config.mjs\` first`);
  });

  afterEach(async () => {
    if (fx) {
      const pids = probeAndShimPids(fx.recordFile);
      await fx.cleanup();
      await killStrays(pids);
      fx = undefined;
    }
  });

  after(() => {
    if (resolutionLog.length > 0) {
      console.log(resolutionLog.map((l) => `      [resolution] ${l}`).join('\n'));
    }
  });

  it('exec: the server gets the thread id Codex reports, and the context file records the binding', async () => {
    fx = await createCodexFixture({
      turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
      // No CODEX_THREAD_CONTEXT_DIR: the default store, <codex home>/thread-context.
      mcpServers: ({ recordFile }) => ({ probe: shimmedProbe({ recordFile, name: 'probe' }) }),
    });
    const { home, mock, recordFile } = fx;

    const run = await runCodexExec({ home, prompt: 'who am i', timeoutMs: 30_000 });
    const tid = run.threadId!;
    assert.ok(isThreadId(tid), `thread.started carries a thread id: ${tid}`);
    assert.deepEqual(mock.problems, []);

    const starts = startsNamed(recordFile, 'probe');
    assert.equal(starts.length, 1, 'one server process: the first guess was right, nothing restarted');
    const start = starts[0];
    assert.equal(start.env.CODEX_THREAD_ID, tid, 'CODEX_THREAD_ID is the id codex exec --json reports');
    assert.equal(start.env.CODEX_SESSION_ID, tid, 'CODEX_SESSION_ID: a root thread, same value');

    const calls = recordsOf(recordFile, 'call');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].pid, start.pid);
    assert.equal(calls[0].meta?.threadId, tid, "the call's _meta.threadId is the same id");
    assert.equal(whoamiSeenByModel(mock, tid)?.threadId, tid, 'the tool output the model got names the thread');

    const contextFile = start.env.CODEX_THREAD_CONTEXT;
    assert.ok(contextFile && path.isAbsolute(contextFile), `CODEX_THREAD_CONTEXT is an absolute path: ${contextFile}`);
    assert.ok(contextFile.startsWith(path.join(home.codexHome, 'thread-context') + path.sep), `in the default store: ${contextFile}`);
    assert.ok(fs.existsSync(contextFile), 'the context file exists');

    // Codex has exited. It SIGTERMs the server's group and SIGKILLs the shim 30–90 ms later
    // (EXEC_KILLS_AT_EXIT): the shim's last write (`exited`) fits in that window on an idle
    // machine, not always under load. What holds either way: the shim and the server are gone,
    // and the binding is over for every reader (an `exited` record, or a binding whose shim
    // process no longer exists, which the store counts as exited).
    await waitFor(() => !isAlive(start.pid) && !isAlive(start.ppid), { timeoutMs: 5000, description: 'the server and the shim to be gone' });
    const ctx = await waitForBindings(contextFile, 'probe', (bs) => bs.length === 1 && bs[0].serverPid === start.pid);
    assert.deepEqual(validateThreadContext(ctx), [], 'the file matches the schema');
    assert.equal(isBindingLive(ctx.bindings[0]), false, `the binding is over (status ${ctx.bindings[0].status}, shim gone)`);
    // At exit Codex removes the thread's lock file and stops its servers side by side, in no fixed
    // order: the lock was still there at the shim's last write in 1 of 15 runs from a clean shell.
    // The shim ends the thread only when it saw the lock gone (the unit test "ends the thread when
    // its last server exits and Codex no longer holds its lock file" checks both ways); here, an
    // ended thread comes from that last write, with its end time.
    if (ctx.thread.status === 'ended') {
      assert.equal(ctx.bindings[0].status, 'exited');
      assert.ok(ctx.thread.endedAt);
    }
    resolutionLog.push(
      `exec: the final \`exited\` record ${ctx.bindings[0].status === 'exited' ? `was written (thread ${ctx.thread.status === 'ended' ? 'ended by it' : 'left live: the lock file was still there'})` : 'was cut off by Codex\'s SIGKILL (the binding counts as exited: its shim is gone)'}`,
    );
    assert.equal(ctx.thread.id, tid);
    const binding = ctx.bindings[0];
    assert.equal(binding.server, 'probe', 'named after its [mcp_servers.probe] table');
    assert.equal(binding.resolvedBy, 'parent-open-files');
    assert.equal(binding.serverPid, start.pid);
    assert.equal(binding.shimPid, start.ppid);
    assert.ok(binding.callCount >= 1, `callCount ${binding.callCount}`);
    assert.deepEqual(binding.corrections, []);
  });

  it('exec with a non-default CODEX_HOME: the context file lands in that home\'s store, named after its config.toml table, and nothing is created under ~/.codex', async () => {
    fx = await createCodexFixture({
      turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
      // No CODEX_THREAD_CONTEXT_DIR and no --codex-home: Codex strips CODEX_HOME from the server's
      // environment, so only the thread files Codex holds open can tell the shim where home is.
      mcpServers: ({ recordFile }) => ({ probe: shimmedProbe({ recordFile, name: 'probe' }) }),
    });
    const { home, mock, recordFile } = fx;
    const customHome = path.join(home.root, 'elsewhere', 'codex-home');
    fs.mkdirSync(customHome, { recursive: true, mode: 0o700 });
    fs.renameSync(home.configPath, path.join(customHome, 'config.toml'));
    fs.rmSync(home.codexHome, { recursive: true }); // ~/.codex must stay absent
    const defaultHome = home.codexHome;

    const run = await runCodexExec({ home, prompt: 'who am i', env: { CODEX_HOME: customHome }, timeoutMs: 30_000 });
    const tid = run.threadId!;
    assert.deepEqual(mock.problems, []);
    assert.ok(fs.existsSync(path.join(customHome, 'thread-writer-locks')), 'Codex used the custom home');
    const [start] = startsNamed(recordFile, 'probe');
    assert.equal(start.env.CODEX_HOME, undefined, 'Codex gave the server no CODEX_HOME');
    assert.equal(start.env.CODEX_THREAD_ID, tid);
    const contextFile = start.env.CODEX_THREAD_CONTEXT!;
    assert.ok(contextFile.startsWith(path.join(customHome, 'thread-context') + path.sep), `the context file is in the custom home's store: ${contextFile}`);
    const ctx = await waitForBindings(contextFile, 'probe', (bs) => bs.length === 1 && bs[0].serverPid === start.pid);
    assert.equal(ctx.bindings[0].server, 'probe', 'named after its [mcp_servers.probe] table in the custom home\'s config.toml, not "node"');
    await waitFor(() => !isAlive(start.pid) && !isAlive(start.ppid), { timeoutMs: 5000, description: 'the server and the shim to be gone' });
    assert.equal(fs.existsSync(defaultHome), false, `nothing was created under ~/.codex (${defaultHome})`);
  });

  it('exec --ephemeral with a non-default CODEX_HOME: no thread file is open, yet the binding the call corrected is recorded in that home\'s store', async () => {
    fx = await createCodexFixture({
      turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
      mcpServers: ({ recordFile }) => ({ probe: shimmedProbe({ recordFile, name: 'probe' }) }),
    });
    const { home, recordFile } = fx;
    const customHome = path.join(home.root, 'elsewhere', 'codex-home');
    fs.mkdirSync(customHome, { recursive: true, mode: 0o700 });
    fs.renameSync(home.configPath, path.join(customHome, 'config.toml'));
    fs.rmSync(home.codexHome, { recursive: true });

    const run = await runCodexExec({ home, prompt: 'who am i', extraArgs: ['--ephemeral'], env: { CODEX_HOME: customHome }, timeoutMs: 30_000 });
    const tid = run.threadId!;
    const [call] = recordsOf(recordFile, 'call');
    assert.equal(call.meta?.threadId, tid);
    const answering = startsNamed(recordFile, 'probe').find((s) => s.pid === call.pid)!;
    assert.equal(answering.env.CODEX_THREAD_ID, tid);
    const contextFile = answering.env.CODEX_THREAD_CONTEXT!;
    assert.ok(contextFile.startsWith(path.join(customHome, 'thread-context') + path.sep), `in the custom home's store: ${contextFile}`);
    const ctx = await waitForBindings(contextFile, 'probe', (bs) => bs.some((b) => b.serverPid === answering.pid));
    assert.equal(ctx.bindings.at(-1)!.server, 'probe', "named after the custom home's config.toml table");
    assert.equal(fs.existsSync(home.codexHome), false, 'nothing was created under ~/.codex');
  });

  it('exec: a server that refuses to start without CODEX_THREAD_ID starts and serves through the shim', async () => {
    fx = await createCodexFixture({
      turns: [{ callTool: { server: 'strict', tool: 'whoami' }, thenText: 'done' }],
      mcpServers: ({ home, recordFile }) => ({
        strict: shimmedProbe({ recordFile, name: 'strict', requireThreadId: true, storeDir: path.join(home.root, 'store') }),
        // The same server without the shim, for contrast: Codex gives it no id, so it refuses.
        bare: probeServerConfig({ recordFile, name: 'bare', requireThreadId: true }),
      }),
    });
    const { home, mock, recordFile } = fx;

    const run = await runCodexExec({ home, prompt: 'who am i', timeoutMs: 30_000 });
    const tid = run.threadId!;
    assert.deepEqual(mock.problems, [], 'Codex offered the strict server\'s tool');

    const refused = recordsOf(recordFile, 'refused');
    assert.deepEqual(refused.map((r) => r.name), ['bare'], 'only the server without the shim refused to start');
    const [start] = startsNamed(recordFile, 'strict');
    assert.equal(start.env.CODEX_THREAD_ID, tid);
    const call = recordsOf(recordFile, 'call').find((c) => c.name === 'strict');
    assert.equal(call?.pid, start.pid, 'the strict server answered the call');
    assert.equal(call?.meta?.threadId, tid);
    assert.equal(whoamiSeenByModel(mock, tid)?.threadId, tid);
  });

  it('app-server: three threads started at once each end up with a server holding their own id', async () => {
    fx = await createCodexFixture({
      turns: () => ({ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }),
      mcpServers: ({ home, recordFile }) => ({
        probe: shimmedProbe({ recordFile, name: 'probe', storeDir: path.join(home.root, 'store'), shimAsCommand: true }),
      }),
    });
    const { home, mock, recordFile } = fx;
    const storeDir = path.join(home.root, 'store');

    const client = await startAppServer({ home });
    const threads: AppServerThread[] = await Promise.all([0, 1, 2].map(() => client.threadStart()));
    const ids = threads.map((t) => t.id);
    assert.equal(new Set(ids).size, 3, 'three distinct thread ids');
    await Promise.all(ids.map((id) => client.waitForMcpServerReady(id, 'probe')));
    const firstStarts = await waitForProbeRecords(recordFile, 'start', 3);
    // What the start-up resolution gave each server, before any call could correct it.
    const startupIds = firstStarts.map((s) => s.env.CODEX_THREAD_ID);
    assert.deepEqual([...startupIds].sort(), [...ids].sort(), 'at start-up, each thread was claimed by exactly one server');

    // A turn in each thread, all at once, each calling its thread's probe.
    await Promise.all(ids.map((id) => client.runTurn(id, 'who am i', 40_000)));
    assert.deepEqual(mock.problems, []);

    const calls = recordsOf(recordFile, 'call');
    assert.equal(calls.length, 3);
    const startOf = new Map(recordsOf(recordFile, 'start').map((s) => [s.pid, s]));
    for (const id of ids) {
      const call = calls.find((c) => c.meta?.threadId === id);
      assert.ok(call, `a call carries _meta.threadId ${id}`);
      assert.equal(startOf.get(call.pid)?.env.CODEX_THREAD_ID, id, 'the probe that answered was started with the call\'s thread id');
      const seen = whoamiSeenByModel(mock, id);
      assert.equal(seen?.threadId, id, 'the model got this thread\'s id back from the tool');
      assert.equal(seen?.metaThreadId, id);
      assert.equal(seen?.pid, call.pid);
    }

    // Each thread ends with one live server, holding its own id (replaced ones are stopped).
    const live = await waitFor(
      () => {
        const alive = recordsOf(recordFile, 'start').filter((s) => isAlive(s.pid));
        return alive.length === 3 ? alive : undefined;
      },
      { timeoutMs: 10_000, description: 'exactly three live probes', diagnostics: () => JSON.stringify(readProbeRecords(recordFile)) },
    );
    assert.deepEqual(live.map((s) => s.env.CODEX_THREAD_ID).sort(), [...ids].sort());

    // The context files: how often the start-up choice was right, how often a call corrected it.
    // The shim writes them behind the relay: wait until each names the server that answered.
    const answeredBy = new Map(calls.map((c) => [c.meta?.threadId, c.pid]));
    const contexts = await waitFor(
      async () => {
        const all = await allContexts(storeDir);
        const done = ids.every((id) => all.find((c) => c.context.thread.id === id)?.context.bindings.some((b) => b.serverPid === answeredBy.get(id)));
        return done ? all : undefined;
      },
      { timeoutMs: 10_000, description: "each thread's context file to name the server that answered its call" },
    );
    assert.deepEqual(contexts.map((c) => c.context.thread.id).sort(), [...ids].sort(), 'one context file per thread');
    const bindings = contexts.flatMap((c) => c.context.bindings.map((b) => ({ thread: c.context.thread.id, ...b })));
    const shimPids = [...new Set(bindings.map((b) => b.shimPid))];
    assert.equal(shimPids.length, 3, 'three shims');
    let right = 0;
    let corrected = 0;
    for (const pid of shimPids) {
      const mine = bindings.filter((b) => b.shimPid === pid).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
      assert.equal(mine[0].resolvedBy, 'parent-open-files');
      const restarts = mine.flatMap((b) => b.corrections).filter((c) => c.action === 'restart');
      if (restarts.length === 0) {
        right++;
        assert.equal(mine.length, 1);
      } else {
        corrected++;
        const last = mine.at(-1)!;
        assert.equal(last.resolvedBy, 'per-call');
        assert.equal(restarts.at(-1)!.to, last.thread, 'the correction names the thread the server moved to');
        assert.equal(restarts.at(-1)!.from, mine[0].thread);
      }
    }
    const startMismatch = firstStarts.filter((s) => {
      const served = calls.find((c) => startOf.get(c.pid)?.ppid === s.ppid)?.meta?.threadId;
      return served !== s.env.CODEX_THREAD_ID;
    }).length;
    assert.equal(corrected, startMismatch, 'every wrong start-up guess, and only those, was corrected by a restart');
    resolutionLog.push(`app-server, 3 concurrent thread/start: right first time ${right}/3, corrected by restart ${corrected}/3`);

    await client.close();
    const everyPid = recordsOf(recordFile, 'start').flatMap((s) => [s.pid, s.ppid]);
    await waitFor(() => everyPid.every((pid) => !isAlive(pid)), { timeoutMs: 10_000, description: 'every shim and probe to exit after the app-server closed' });
  });

  it('exec resume: the resumed thread\'s new server gets the same id again', async () => {
    fx = await createCodexFixture({
      turns: () => ({ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }),
      mcpServers: ({ home, recordFile }) => ({ probe: shimmedProbe({ recordFile, name: 'probe', storeDir: path.join(home.root, 'store') }) }),
    });
    const { home, mock, recordFile } = fx;

    const first = await runCodexExec({ home, prompt: 'one', timeoutMs: 30_000 });
    const tid = first.threadId!;
    // What the first run's shim left in the store when Codex killed it (see EXEC_KILLS_AT_EXIT).
    const leftoverLocks = lockDirsIn(path.join(home.root, 'store'));
    const resumed = await runCodexExec({ home, prompt: 'two', resumeThreadId: tid, timeoutMs: 30_000 });
    assert.equal(resumed.threadId, tid);
    assert.deepEqual(
      mock.problems,
      [],
      "Codex offered the resumed thread's probe tools (its server was up within Codex exec's ~1 s window); " +
        `store locks left by the first run's shim: ${JSON.stringify(leftoverLocks)}`,
    );

    const starts = startsNamed(recordFile, 'probe');
    assert.equal(starts.length, 2, 'a new server process for the resumed thread, none restarted');
    assert.deepEqual(starts.map((s) => s.env.CODEX_THREAD_ID), [tid, tid]);
    const calls = recordsOf(recordFile, 'call');
    assert.deepEqual(calls.map((c) => [c.pid, c.meta?.threadId]), starts.map((s) => [s.pid, tid]));
    assert.equal(starts[1].env.CODEX_THREAD_CONTEXT, starts[0].env.CODEX_THREAD_CONTEXT, 'the same context file');

    // (Not `status`: see EXEC_KILLS_AT_EXIT.)
    const ctx = await waitForBindings(starts[1].env.CODEX_THREAD_CONTEXT!, 'probe', (bs) => bs.length === 2 && bs.every((b) => b.serverPid !== undefined));
    assert.equal(ctx.thread.id, tid);
    assert.deepEqual(ctx.bindings.map((b) => [b.serverPid, b.resolvedBy, b.corrections.length]), starts.map((s) => [s.pid, 'parent-open-files', 0]));
  });

  for (const target of ['native codex', 'process group of the npm wrapper'] as const) {
    it(`SIGKILL of the ${target} mid-call: no shim and no server is left`, async () => {
      fx = await createCodexFixture({
        turns: () => ({ callTool: { server: 'probe', tool: 'wait', arguments: { ms: 30_000 } }, thenText: 'waited' }),
        mcpServers: ({ home, recordFile }) => ({ probe: shimmedProbe({ recordFile, name: 'probe', storeDir: path.join(home.root, 'store') }) }),
      });
      const { home, recordFile } = fx;

      const exec = startCodexExec({ home, prompt: 'wait' });
      const nativePid = await exec.nativePid();
      const call = await waitForProbeRecord(recordFile, 'call', (c) => c.tool === 'wait', 20_000);
      const [start] = startsNamed(recordFile, 'probe');
      const shimPid = start.ppid;
      assert.ok(processArgv(shimPid).includes(SHIM), 'the probe runs under the shim');
      assert.equal(call.pid, start.pid);
      assert.ok(isAlive(shimPid) && isAlive(start.pid));

      if (target === 'native codex') {
        process.kill(nativePid, 'SIGKILL');
      } else {
        // The wrapper leads a group holding it and the native codex (the shim has a group of its own).
        process.kill(-exec.pid, 'SIGKILL');
      }
      await exec.exited;
      // Its pipes close before the kernel has finished tearing the (large) process down.
      await waitFor(() => !isAlive(nativePid), { timeoutMs: 5000, description: `codex ${nativePid} to be gone` });

      // No signal reaches the shim: it sees stdin EOF, closes the server's stdin, and both exit.
      await waitFor(() => !isAlive(shimPid) && !isAlive(start.pid), {
        timeoutMs: 10_000,
        description: `shim ${shimPid} and probe ${start.pid} to exit after codex was killed`,
      });
      const exit = recordsOf(recordFile, 'exit').find((e) => e.pid === start.pid);
      assert.equal(exit?.reason, 'stdin-end', 'the shim closed the server\'s stdin (a clean end, not a kill)');
      const ctx = await waitForBindings(start.env.CODEX_THREAD_CONTEXT!, 'probe', (bs) => bs.length === 1 && bs[0].status === 'exited');
      assert.equal(ctx.bindings[0].callCount, 1);
    });
  }

  it('app-server mcpServerStatus/list: the thread-less copy claims no thread and gets no id', async () => {
    fx = await createCodexFixture({
      mcpServers: ({ home, recordFile }) => ({ probe: shimmedProbe({ recordFile, name: 'probe', storeDir: path.join(home.root, 'store') }) }),
    });
    const { home, recordFile } = fx;
    const storeDir = path.join(home.root, 'store');

    const client = await startAppServer({ home });
    // A loaded thread, whose lock file the app-server holds open: the copy must not take it.
    const thread = await client.threadStart();
    await client.waitForMcpServerReady(thread.id, 'probe');
    const [threadServer] = await waitForProbeRecords(recordFile, 'start', 1);
    assert.equal(threadServer.env.CODEX_THREAD_ID, thread.id);
    await waitForBindings(threadServer.env.CODEX_THREAD_CONTEXT!, 'probe', (bs) => bs.length === 1 && bs[0].status === 'running');
    // Its server dies (crash): now no live instance protects the thread from a claim, only the
    // shim's recognition of the thread-less copy does.
    await killTree(threadServer.ppid);

    const status = await client.request<{ data: Array<{ name: string; tools?: Record<string, unknown> }> }>('mcpServerStatus/list', {});
    // Codex 0.169 does start a copy of each server for this (cwd = CODEX_HOME) and stops it at once.
    const copy = await waitForProbeRecord(recordFile, 'start', (s) => s.cwd === home.codexHome);
    const probeStatus = status.data.find((s) => s.name === 'probe');
    assert.ok(probeStatus, `the status lists the probe: ${JSON.stringify(status).slice(0, 500)}`);
    assert.ok(Object.keys(probeStatus.tools ?? {}).some((t) => t.includes('whoami')), 'the copy served tools/list through the shim');

    assert.equal(copy.env.CODEX_THREAD_ID, undefined, 'no CODEX_THREAD_ID for the thread-less copy');
    assert.equal(copy.env.CODEX_THREAD_CONTEXT, undefined);
    await waitFor(() => !isAlive(copy.ppid) && !isAlive(copy.pid), { timeoutMs: 10_000, description: 'the copy and its shim to exit' });

    const contexts = await allContexts(storeDir);
    assert.deepEqual(contexts.map((c) => c.context.thread.id), [thread.id], 'only the real thread has a file');
    const bindings = contexts[0].context.bindings;
    assert.deepEqual(bindings.map((b) => b.shimPid), [threadServer.ppid], "only the thread's own (dead) server is bound; the copy added nothing");
    await client.close();
  });

  // `codex exec --ephemeral` exists in 0.169: the thread has neither a lock file nor a rollout, so
  // nothing at start-up names it. The shim starts the server without an id and the first call's
  // _meta.threadId corrects it. Codex exec waits only about 1 s for a server that is not
  // `required` before its first model request (measured: a server ready 0.8 s after its spawn
  // was offered, one ready at 0.9 s was not), so the shim must not spend that second looking.
  for (const variant of [
    { title: 'default options', shimOptions: [] as string[] },
    { title: '--wait 0', shimOptions: ['--wait', '0'] },
  ]) {
    it(`exec --ephemeral (${variant.title}): the server that answers the call has the call's thread id`, async () => {
      fx = await createCodexFixture({
        turns: [{ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }],
        mcpServers: ({ home, recordFile }) => ({
          probe: shimmedProbe({ recordFile, name: 'probe', storeDir: path.join(home.root, 'store'), shimOptions: variant.shimOptions, required: false }),
        }),
      });
      const { home, mock, recordFile } = fx;

      const run = await runCodexExec({ home, prompt: 'who am i', extraArgs: ['--ephemeral'], timeoutMs: 30_000 });
      const tid = run.threadId!;
      assert.ok(isThreadId(tid));
      assert.equal(home.rolloutFiles().length, 0, 'ephemeral: no rollout file');
      const firstStart = readProbeRecords(recordFile).find((r) => r.event === 'start');
      const firstRequest = mock.responseRequests[0];
      assert.deepEqual(
        mock.problems,
        [],
        "Codex offers the probe's tools in the first turn only if the shim has the server up within Codex exec's ~1 s " +
          `start-up window; ${firstStart ? `the probe started ${firstStart.time - firstRequest.receivedAt} ms after` : 'the probe never started, not even after'} Codex's first model request`,
      );

      const [call] = recordsOf(recordFile, 'call');
      assert.equal(call.meta?.threadId, tid);
      const answering = startsNamed(recordFile, 'probe').find((s) => s.pid === call.pid);
      assert.equal(answering?.env.CODEX_THREAD_ID, tid, 'the probe that answered the call runs with its thread id');
      assert.equal(whoamiSeenByModel(mock, tid)?.threadId, tid, 'the model got the thread id back from the tool');

      const starts = startsNamed(recordFile, 'probe');
      const how = starts.length === 1 ? 'resolved at start-up' : `started with ${starts[0].env.CODEX_THREAD_ID ?? 'no id'}, then restarted by the per-call check`;
      resolutionLog.push(`exec --ephemeral (${variant.title}): ${how}`);
      if (starts.length > 1) {
        assert.equal(starts[0].env.CODEX_THREAD_ID, undefined, 'nothing to resolve from: started without an id, never a made-up one');
        // The replacement's binding (not its final status or call count: see EXEC_KILLS_AT_EXIT).
        const ctx = await waitForBindings(answering!.env.CODEX_THREAD_CONTEXT!, 'probe', (bs) => bs.length === 1 && bs[0].serverPid === answering!.pid);
        assert.equal(ctx.thread.id, tid);
        assert.equal(ctx.bindings[0].resolvedBy, 'per-call');
      }
    });
  }
});
