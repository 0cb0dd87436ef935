// How the shim finds the thread that launched it, in order (README "How the shim finds the thread"):
//  1. CODEX_THREAD_ID already in the environment.
//  2. The nearest Codex ancestor's open thread files (/proc on Linux, lsof on macOS).
//  3. Where open files cannot be listed (Windows): the live lock files in the Codex home.
//  4. What the extension recorded for this cwd's workspace.
//  5. Unresolved (never a made-up id).
// Steps 2–4 claim the chosen thread under a store-wide lock by writing a "starting" binding, so
// servers started at the same moment by one app-server get different threads (pickThread.ts).
//
// The Codex home: Codex strips CODEX_HOME from a server's environment, so the paths of the thread
// files the Codex ancestor holds open name it (else the Codex process's own CODEX_HOME). Only once it is known does the caller name the
// server (config.toml) and open the store (`setup`), so nothing goes to ~/.codex by mistake.
//
// The deadline (`signal`) is honoured by the wait for thread files, the store lock and the claim
// itself: a resolver the shim stopped waiting for writes nothing afterwards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isBindingLive, settleDeadBindings, type ContextStore } from '../store/contextStore';
import type { McpBinding, Resolution, ThreadContext } from '../store/threadContext';
import { isThreadId, uuidV7Time } from '../threadId';
import { normalizeCwd } from '../store/workspaceKey';
import { LOCKS_DIR, readLiveLocks } from '../discovery/liveLocks';
import { readRolloutHead } from '../discovery/rolloutHead';
import { silentLogger } from '../discovery/types';
import { parseThreadFile, type ThreadFile } from './codexThreadFiles';
import { WINDOW_MS, orderCandidates, type Candidate } from './pickThread';
import { findCodexAncestor, type ProcessInfo, type ProcessInspector } from './processInfo';

/** What the caller opens once the Codex home is known. */
export interface ResolveSetup {
  /** The server's name (binding key: a thread never gets two live instances of one server). */
  server: string;
  /** Where to claim; undefined: nothing is recorded and the timing rule alone decides. */
  store: ContextStore | undefined;
}

export interface ResolveRequest {
  env: NodeJS.ProcessEnv;
  cwd: string;
  pid: number;
  /** Unix ms when the shim process started. */
  startedAtMs: number;
  /** How long to wait for the launching Codex to show its thread files. */
  waitMs: number;
  /** The Codex home when no thread file names one (`--codex-home`, CODEX_HOME or ~/.codex). */
  codexHome: string;
  /** True when `codexHome` was given explicitly (--codex-home): it wins over the one found. */
  codexHomeFixed?: boolean;
  /** Called once, when the Codex home is known. */
  setup: (codexHome: string) => ResolveSetup;
  inspector: ProcessInspector;
  /** The shim's deadline: once aborted, nothing more is claimed. */
  signal?: AbortSignal;
}

export interface ResolveResult {
  threadId?: string;
  resolvedBy: Resolution;
  /** The thread's context file (the binding was claimed there). */
  contextFile?: string;
  /** The cwd that keys the thread's file. */
  threadCwd?: string;
  /** One line for stderr when something is worth telling. */
  message?: string;
  /** True for Codex's thread-less throw-away copy (mcpServerStatus/list): nothing is recorded. */
  threadless?: boolean;
  /** The Codex home used (found in the open thread files, else the fallback). */
  codexHome: string;
  /** True when the Codex home was read off the Codex ancestor's thread files. */
  codexHomeFound?: boolean;
  server: string;
  store?: ContextStore;
}

const POLL_MS = 15;
/** How many of the parent's most recent earlier children are looked at as possible siblings. */
const MAX_SIBLINGS = 16;

interface Setup extends ResolveSetup {
  codexHome: string;
  codexHomeFound: boolean;
}

export async function resolveThreadAtStartup(req: ResolveRequest): Promise<ResolveResult> {
  const fromEnv = req.env.CODEX_THREAD_ID?.trim().toLowerCase();
  if (fromEnv) {
    const setup = open(req, undefined);
    const base = { codexHome: setup.codexHome, server: setup.server, store: setup.store };
    const shown = JSON.stringify(fromEnv.slice(0, 60));
    if (isThreadId(fromEnv)) {
      if (!setup.store) {
        return { ...base, threadId: fromEnv, resolvedBy: 'env' };
      }
      const { ref, file } = await setup.store.locateThread(fromEnv, req.cwd).catch(() => ({ ref: undefined, file: undefined }));
      return { ...base, threadId: fromEnv, resolvedBy: 'env', contextFile: file, threadCwd: ref?.cwd };
    }
    return { ...base, resolvedBy: 'unresolved', message: `ignoring CODEX_THREAD_ID=${shown}: not a thread id` };
  }

  let setup: Setup | undefined;
  if (req.inspector.canListOpenFiles) {
    const self = await req.inspector.info(req.pid);
    const codex = await findCodexAncestor(req.inspector, req.pid);
    if (codex) {
      const files = await waitForThreadFiles(req, codex);
      // No thread file open (an --ephemeral thread, Codex before 0.169 at start-up): the Codex
      // process's own CODEX_HOME, where readable, still names its home.
      const codexEnvHome = files.length === 0 ? (await req.inspector.envVar?.(codex.pid, 'CODEX_HOME'))?.trim() : undefined;
      setup = open(req, files[0]?.codexHome ?? (codexEnvHome ? path.resolve(codexEnvHome) : undefined));
      const result = { codexHome: setup.codexHome, codexHomeFound: setup.codexHomeFound, server: setup.server, store: setup.store };
      if (files.length > 0 && normalizeCwd(req.cwd) === normalizeCwd(files[0].codexHome)) {
        // Codex starts a thread-less copy of each server in the Codex home to list its tools.
        return { ...result, resolvedBy: 'unresolved', threadless: true };
      }
      if (files.length > 0) {
        const candidates = toCandidates(files, req.startedAtMs);
        const siblings = self ? await siblingShims(req, self, files[0].codexHome) : [];
        const claimed = await claim(req, setup, candidates, siblings, 'parent-open-files', `claim-${codex.pid}`);
        if (claimed) {
          return { ...result, ...claimed };
        }
        // every loaded thread already runs this server
      }
    }
  } else {
    setup = open(req, undefined);
    const lockDir = path.join(setup.codexHome, LOCKS_DIR);
    const ids = [...readLiveLocks(setup.codexHome, silentLogger).ids];
    if (ids.length > 0) {
      const files = ids.map((threadId): ThreadFile => ({ threadId, kind: 'lock', codexHome: setup!.codexHome, path: path.join(lockDir, `${threadId}.lock`) }));
      const claimed = await claim(req, setup, toCandidates(files, req.startedAtMs), [], 'live-locks', 'claim-live-locks');
      if (claimed) {
        return { ...setup, ...claimed };
      }
    }
  }
  setup ??= open(req, undefined);
  const base = { codexHome: setup.codexHome, codexHomeFound: setup.codexHomeFound, server: setup.server, store: setup.store };
  const recorded = await fromExtensionRecord(req, setup);
  return recorded ? { ...base, ...recorded } : { ...base, resolvedBy: 'unresolved' };
}

function open(req: ResolveRequest, found: string | undefined): Setup {
  const codexHome = req.codexHomeFixed || found === undefined ? req.codexHome : found;
  return { ...req.setup(codexHome), codexHome, codexHomeFound: !req.codexHomeFixed && found !== undefined };
}

/** The Codex ancestor's thread files, polled until some show up, `waitMs` passes or the deadline aborts. */
async function waitForThreadFiles(req: ResolveRequest, codex: ProcessInfo): Promise<ThreadFile[]> {
  const deadline = Date.now() + req.waitMs;
  for (;;) {
    const files = (await req.inspector.openFiles(codex.pid)).map(parseThreadFile).filter((f) => f !== undefined);
    if (files.length > 0 || Date.now() >= deadline || req.signal?.aborted) {
      return files;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function toCandidates(files: ThreadFile[], shimStartMs: number): Candidate[] {
  const byId = new Map<string, Candidate>();
  for (const f of files) {
    const c = byId.get(f.threadId) ?? { threadId: f.threadId, loadedAt: uuidV7Time(f.threadId) ?? 0 };
    byId.set(f.threadId, c);
    if (f.kind === 'lock') {
      // Synchronous, as the open-file listing: cheaper in a tight loop. A resumed thread keeps
      // its old id; its new lock file says when it was loaded.
      try {
        c.loadedAt = Math.max(c.loadedAt, fs.statSync(f.path).mtimeMs);
      } catch {
        // unloaded meanwhile
      }
    }
  }
  // The cwd of recent threads whose rollout is open (bounded first-line read; a brand-new
  // thread has no rollout yet, a resumed one has).
  for (const f of files) {
    const c = byId.get(f.threadId)!;
    if (f.kind === 'rollout' && c.cwd === undefined && c.loadedAt >= shimStartMs - WINDOW_MS) {
      const cwd = readRolloutHead(f.path, silentLogger, { wantTitle: false })?.meta?.cwd;
      if (cwd) {
        c.cwd = normalizeCwd(cwd);
      }
    }
  }
  return [...byId.values()];
}

/**
 * The other shims of this server under the same parent that started before this one (lower pid:
 * spawn order) and at most WINDOW_MS earlier (older ones belong to earlier threads), not counting
 * Codex's thread-less copies (cwd = the Codex home).
 */
async function siblingShims(req: ResolveRequest, self: ProcessInfo, codexHome: string): Promise<number[]> {
  if (self.argv.length === 0) {
    return [];
  }
  const out: number[] = [];
  // The most recent spawns only: a burst's siblings are the last few children before this one
  // (and on macOS each look costs a `ps`).
  const earlier = (await req.inspector.children(self.ppid)).filter((pid) => pid < req.pid).sort((a, b) => b - a);
  for (const pid of earlier.slice(0, MAX_SIBLINGS)) {
    const info = await req.inspector.info(pid);
    if (!info || info.argv.length !== self.argv.length || info.argv.some((a, i) => a !== self.argv[i])) {
      continue;
    }
    // Both start times from the inspector: same clock base, so the difference is exact.
    if (info.startedAtMs !== undefined && info.startedAtMs < (self.startedAtMs ?? req.startedAtMs) - WINDOW_MS) {
      continue;
    }
    const cwd = await req.inspector.cwd(pid);
    if (cwd !== undefined && normalizeCwd(cwd) === normalizeCwd(codexHome)) {
      continue;
    }
    out.push(pid);
  }
  return out;
}

function liveInstances(ctx: ThreadContext | undefined, server: string): McpBinding[] {
  return ctx?.bindings.filter((b) => b.server === server && isBindingLive(b)) ?? [];
}

function startingBinding(req: ResolveRequest, server: string, resolvedBy: Resolution): McpBinding {
  return { server, shimPid: req.pid, resolvedBy, status: 'starting', startedAt: new Date(req.startedAtMs).toISOString(), callCount: 0, corrections: [] };
}

type Claimed = Omit<ResolveResult, 'codexHome' | 'server'>;

async function claim(req: ResolveRequest, setup: Setup, all: Candidate[], siblings: number[], resolvedBy: Resolution, lockName: string): Promise<Claimed | undefined> {
  const shimCwd = normalizeCwd(req.cwd);
  const store = setup.store;
  if (!store) {
    // No store: the timing rule alone decides (the per-call check corrects a wrong guess).
    const ordered = orderCandidates({ candidates: all, shimStartMs: req.startedAtMs, shimCwd, rank: siblings.length });
    return { threadId: ordered[0]?.threadId, resolvedBy };
  }
  try {
    return await store.withLock(
      lockName,
      async () => {
        // Under the lock, claims are serial: read who already claimed the recent threads.
        const claimers = new Set<number>();
        const unclaimed: Candidate[] = [];
        for (const c of all) {
          if (c.loadedAt < req.startedAtMs - WINDOW_MS) {
            unclaimed.push(c); // older threads are checked one by one below, only if needed
            continue;
          }
          const { file } = await store.locateThread(c.threadId, c.cwd ?? req.cwd);
          const ctx = await store.readFile(file).catch(() => undefined);
          const live = liveInstances(ctx, setup.server);
          live.forEach((b) => claimers.add(b.shimPid));
          if (live.length === 0) {
            const passedOver = !!ctx?.bindings.some((b) => b.server === setup.server && b.status === 'restarted');
            unclaimed.push({ ...c, passedOver });
          }
        }
        const rank = siblings.filter((pid) => !claimers.has(pid)).length;
        for (const c of orderCandidates({ candidates: unclaimed, shimStartMs: req.startedAtMs, shimCwd, rank })) {
          const { ref, file } = await store.locateThread(c.threadId, c.cwd ?? req.cwd);
          let taken = false;
          await store.update(
            ref,
            (cur) => {
              if (liveInstances(cur, setup.server).some((b) => b.shimPid !== req.pid)) {
                taken = true;
                return undefined;
              }
              const ctx = cur ?? store.newContext(ref);
              settleDeadBindings(ctx); // shims Codex SIGKILLed before they could record their exit
              if (ctx.thread.status !== 'live') {
                ctx.thread.status = 'live'; // loaded (again): its lock file is open
                delete ctx.thread.endedAt;
              }
              ctx.bindings.push(startingBinding(req, setup.server, resolvedBy));
              return ctx;
            },
            { signal: req.signal },
          );
          if (!taken) {
            return { threadId: c.threadId, resolvedBy, contextFile: file, threadCwd: ref.cwd };
          }
        }
        return undefined;
      },
      { signal: req.signal },
    );
  } catch (err) {
    if (req.signal?.aborted) {
      return { resolvedBy: 'unresolved', message: `thread resolution stopped at its deadline: ${(err as Error).message}` };
    }
    // Fail open: a store problem must not stop the server; the timing rule alone decides.
    const ordered = orderCandidates({ candidates: all, shimStartMs: req.startedAtMs, shimCwd, rank: siblings.length });
    return { threadId: ordered[0]?.threadId, resolvedBy, message: `could not record the binding: ${(err as Error).message}` };
  }
}

/** Step 4: a live thread the extension recorded (it knows the terminal) for this cwd's group. */
async function fromExtensionRecord(req: ResolveRequest, setup: Setup): Promise<Claimed | undefined> {
  const store = setup.store;
  if (!store || req.signal?.aborted) {
    return undefined;
  }
  try {
    const entries = await store.listThreads(store.keyFor(req.cwd));
    const live = entries
      .filter((e) => e.context.thread.status === 'live' && e.context.terminal !== undefined)
      .map((e) => ({ threadId: e.context.thread.id, loadedAt: uuidV7Time(e.context.thread.id) ?? 0 }));
    if (live.length === 0) {
      return undefined;
    }
    return await claim(req, setup, live, [], 'extension', 'claim-extension');
  } catch {
    return undefined;
  }
}
