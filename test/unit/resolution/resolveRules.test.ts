// The start-up resolution's rules, run in this process against a scripted process table (a fake
// ProcessInspector) and a real context store. The shims' pids are those of real sleeping
// processes, because a binding counts as live only while its shim process exists.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContextStore } from '../../../src/core/store/contextStore';
import { resolveThreadAtStartup, type ResolveRequest } from '../../../src/core/resolution/resolveThreadAtStartup';
import type { ProcessInfo, ProcessInspector } from '../../../src/core/resolution/processInfo';

const CODEX_PID = 4_000_001;

/** A UUIDv7 whose time is `ms`. */
function idAt(ms: number, n: number): string {
  const hex = ms.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-${String(n).padStart(12, '0')}`;
}

class ScriptedProcesses implements ProcessInspector {
  readonly canListOpenFiles = true;
  readonly procs = new Map<number, ProcessInfo & { cwd?: string }>();
  openByCodex: string[] = [];

  async info(pid: number): Promise<ProcessInfo | undefined> {
    return this.procs.get(pid);
  }
  async openFiles(pid: number): Promise<string[]> {
    return pid === CODEX_PID ? this.openByCodex : [];
  }
  async children(pid: number): Promise<number[]> {
    return [...this.procs.values()].filter((p) => p.ppid === pid).map((p) => p.pid);
  }
  async cwd(pid: number): Promise<string | undefined> {
    return this.procs.get(pid)?.cwd;
  }
  codexEnv: Record<string, string> = {};
  async envVar(pid: number, name: string): Promise<string | undefined> {
    return pid === CODEX_PID ? this.codexEnv[name] : undefined;
  }
}

describe('resolveThreadAtStartup rules (scripted process table, real store)', function () {
  this.timeout(20_000);
  let dir: string;
  let home: string;
  let project: string;
  let store: ContextStore;
  let procs: ScriptedProcesses;
  const sleepers: ChildProcess[] = [];

  /** `n` real live pids, ascending (spawn order). */
  async function livePids(n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
      sleepers.push(child);
      await new Promise((r) => child.once('spawn', r));
      out.push(child.pid!);
    }
    return out.sort((a, b) => a - b);
  }

  /** Codex holding these threads' lock files, and shims (same command line) with these pids as its children. */
  function codexWith(threads: string[], shimPids: number[], argv = ['node', '/x/shim.js', '--', 'server']): void {
    procs.procs.set(CODEX_PID, { pid: CODEX_PID, ppid: 1, name: 'codex', argv: ['codex', 'app-server'] });
    for (const pid of shimPids) {
      procs.procs.set(pid, { pid, ppid: CODEX_PID, name: 'node', argv, cwd: project });
    }
    const locks = path.join(home, 'thread-writer-locks');
    fs.mkdirSync(locks, { recursive: true });
    procs.openByCodex = threads.map((id) => {
      const file = path.join(locks, `${id}.lock`);
      fs.writeFileSync(file, '');
      const t = new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
      fs.utimesSync(file, t, t);
      return file;
    });
  }

  function request(pid: number, startedAtMs: number, extra: Partial<ResolveRequest> = {}): ResolveRequest {
    return {
      env: {},
      cwd: project,
      pid,
      startedAtMs,
      waitMs: 0,
      codexHome: path.join(dir, 'fallback-home'),
      setup: () => ({ server: 'probe', store }),
      inspector: procs,
      ...extra,
    };
  }

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-rules-')));
    home = path.join(dir, 'custom-codex-home');
    project = path.join(dir, 'project');
    fs.mkdirSync(project, { recursive: true });
    store = new ContextStore({ root: path.join(home, 'thread-context'), lockWaitMs: 20_000 });
    procs = new ScriptedProcesses();
  });

  afterEach(() => {
    for (const s of sleepers.splice(0)) {
      s.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('three shims of one server claim the three threads of a burst oldest first in pid order, whatever order they resolve in', async () => {
    const now = Date.now();
    const threads = [idAt(now - 300, 1), idAt(now - 200, 2), idAt(now - 100, 3)];
    const pids = await livePids(3);
    codexWith([threads[2], threads[0], threads[1]], pids);
    const got = new Map<number, string | undefined>();
    for (const pid of [pids[2], pids[0], pids[1]]) {
      got.set(pid, (await resolveThreadAtStartup(request(pid, now))).threadId);
    }
    assert.deepEqual(pids.map((p) => got.get(p)), threads, 'lowest pid → oldest thread');
  });

  it("shims of earlier bursts (started more than the window before) do not push a new shim off the oldest thread", async () => {
    const now = Date.now();
    const earlier = [idAt(now - 30_000, 1), idAt(now - 29_000, 2)];
    const burst = [idAt(now - 200, 3), idAt(now - 100, 4)];
    const pids = await livePids(3);
    codexWith([...earlier, ...burst], pids);
    // The first two shims serve the earlier threads and started long ago.
    for (const [i, pid] of pids.slice(0, 2).entries()) {
      procs.procs.get(pid)!.startedAtMs = now - 30_000 + i;
      await store.update({ id: earlier[i], cwd: project }, (c) => {
        const ctx = c ?? store.newContext({ id: earlier[i], cwd: project });
        ctx.bindings.push({ server: 'probe', shimPid: pid, resolvedBy: 'parent-open-files', status: 'running', startedAt: new Date().toISOString(), callCount: 1, corrections: [] });
        return ctx;
      });
    }
    procs.procs.get(pids[2])!.startedAtMs = now;
    const r = await resolveThreadAtStartup(request(pids[2], now));
    assert.equal(r.threadId, burst[0]);
  });

  it('reads the Codex home off the open thread files, names the server and opens the store there', async () => {
    const now = Date.now();
    const tid = idAt(now - 50, 1);
    const [pid] = await livePids(1);
    codexWith([tid], [pid]);
    const homes: string[] = [];
    const r = await resolveThreadAtStartup(
      request(pid, now, {
        setup: (h) => {
          homes.push(h);
          return { server: 'probe', store };
        },
      }),
    );
    assert.deepEqual(homes, [home], 'set up once, with the home the lock files are in');
    assert.equal(r.codexHome, home);
    assert.equal(r.codexHomeFound, true);
    assert.equal(r.threadId, tid);
    const fixed = await resolveThreadAtStartup(request(pid, now, { codexHomeFixed: true, setup: (h) => (homes.push(h), { server: 'other', store: undefined }) }));
    assert.equal(homes.at(-1), path.join(dir, 'fallback-home'), '--codex-home wins over the found one');
    assert.equal(fixed.codexHomeFound, false);
  });

  it("with no thread file open (an --ephemeral thread), takes the Codex home from the Codex process's own CODEX_HOME", async () => {
    const [pid] = await livePids(1);
    codexWith([], [pid]);
    procs.codexEnv.CODEX_HOME = home;
    const homes: string[] = [];
    const r = await resolveThreadAtStartup(request(pid, Date.now(), { setup: (h) => (homes.push(h), { server: 'probe', store }) }));
    assert.equal(r.threadId, undefined);
    assert.deepEqual(homes, [home]);
    assert.equal(r.codexHome, home);
  });

  it('a resolver past its deadline claims nothing: the store lock wait and the claim honour the signal', async () => {
    const now = Date.now();
    const tid = idAt(now - 50, 1);
    const [pid] = await livePids(1);
    codexWith([tid], [pid]);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holding!: () => void;
    const isHeld = new Promise<void>((r) => (holding = r));
    // Another shim holds the claim lock (e.g. stuck on a slow disk).
    const holder = store.withLock(`claim-${CODEX_PID}`, async () => {
      holding();
      await held;
    });
    await isHeld;
    const deadline = new AbortController();
    const resolving = resolveThreadAtStartup(request(pid, now, { signal: deadline.signal }));
    setTimeout(() => deadline.abort(), 100);
    const result = await resolving;
    release();
    await holder;
    assert.equal(result.threadId, undefined, 'no thread once the deadline passed');
    await new Promise((r) => setTimeout(r, 200));
    const ctx = await store.read({ id: tid, cwd: project });
    assert.equal(ctx?.bindings.length ?? 0, 0, 'and no late "starting" binding blocks the thread for other shims');
  });

  it("takes the thread whose rollout says it runs in the shim's cwd, and files the claim under that cwd", async () => {
    const now = Date.now();
    const elsewhere = idAt(now - 300, 1);
    const here = idAt(now - 100, 2);
    const [pid] = await livePids(1);
    codexWith([elsewhere, here], [pid]);
    const day = path.join(home, 'sessions', '2026', '12', '06');
    fs.mkdirSync(day, { recursive: true });
    for (const [id, cwd] of [[elsewhere, path.join(dir, 'other')], [here, project]]) {
      const rollout = path.join(day, `rollout-2026-12-06T00-00-00-${id}.jsonl`);
      fs.writeFileSync(rollout, JSON.stringify({ timestamp: new Date().toISOString(), type: 'session_meta', payload: { id, cwd, originator: 'codex_vscode' } }) + '\n');
      procs.openByCodex.push(rollout);
    }
    const r = await resolveThreadAtStartup(request(pid, now));
    assert.equal(r.threadId, here);
    assert.equal(r.threadCwd, project);
  });

  it('a thread this server was moved away from by a call is tried last, so it cannot keep attracting servers', async () => {
    const now = Date.now();
    const magnet = idAt(now - 300, 1);
    const real = idAt(now - 100, 2);
    const [pid] = await livePids(1);
    codexWith([magnet, real], [pid]);
    await store.update({ id: magnet, cwd: project }, (c) => {
      const ctx = c ?? store.newContext({ id: magnet, cwd: project });
      ctx.bindings.push({ server: 'probe', shimPid: 999_999_9, resolvedBy: 'parent-open-files', status: 'restarted', startedAt: new Date().toISOString(), callCount: 0, corrections: [] });
      return ctx;
    });
    const r = await resolveThreadAtStartup(request(pid, now));
    assert.equal(r.threadId, real);
  });
});
