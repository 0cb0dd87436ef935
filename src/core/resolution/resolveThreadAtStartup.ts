// How the shim finds the thread that launched it, in order (README "How the shim finds the thread"):
//  1. CODEX_THREAD_ID already in the environment.
//  2. The nearest Codex ancestor's open thread files (/proc on Linux, lsof on macOS).
//  3. Where open files cannot be listed (Windows): the live lock files in the Codex home.
//  4. What the extension recorded for this cwd's workspace.
//  5. Unresolved (never a made-up id).
// Steps 2–4 claim the chosen thread under a store-wide lock by writing a "starting" binding, so
// servers started at the same moment by one app-server get different threads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isBindingLive, settleDeadBindings, type ContextStore } from '../store/contextStore';
import type { McpBinding, Resolution, ThreadContext } from '../store/threadContext';
import { isThreadId, uuidV7Time } from '../threadId';
import { normalizeCwd } from '../store/workspaceKey';
import { LOCKS_DIR, readLiveLocks } from '../discovery/liveLocks';
import { silentLogger } from '../discovery/types';
import { parseThreadFile } from './codexThreadFiles';
import { orderCandidates, type Candidate } from './pickThread';
import { findCodexAncestor, type ProcessInspector } from './processInfo';

export interface ResolveRequest {
  env: NodeJS.ProcessEnv;
  /** The server's name (binding key: a thread never gets two live instances of one server). */
  server: string;
  cwd: string;
  pid: number;
  /** Unix ms when the shim process started. */
  startedAtMs: number;
  /** How long to wait for the launching Codex to show its thread files. */
  waitMs: number;
  /** `--codex-home`, CODEX_HOME or ~/.codex: used for lock files when open files cannot be listed. */
  codexHome: string;
  store: ContextStore | undefined;
  inspector: ProcessInspector;
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
}

const POLL_MS = 15;

export async function resolveThreadAtStartup(req: ResolveRequest): Promise<ResolveResult> {
  const fromEnv = req.env.CODEX_THREAD_ID?.trim().toLowerCase();
  if (fromEnv) {
    const shown = JSON.stringify(fromEnv.slice(0, 60));
    if (isThreadId(fromEnv)) {
      if (!req.store) {
        return { threadId: fromEnv, resolvedBy: 'env' };
      }
      const { ref, file } = await req.store.locateThread(fromEnv, req.cwd).catch(() => ({ ref: undefined, file: undefined }));
      return { threadId: fromEnv, resolvedBy: 'env', contextFile: file, threadCwd: ref?.cwd };
    }
    return { resolvedBy: 'unresolved', message: `ignoring CODEX_THREAD_ID=${shown}: not a thread id` };
  }

  if (req.inspector.canListOpenFiles) {
    const codex = await findCodexAncestor(req.inspector, req.pid);
    if (codex) {
      const deadline = Date.now() + req.waitMs;
      for (;;) {
        const files = (await req.inspector.openFiles(codex.pid)).map(parseThreadFile).filter((f) => f !== undefined);
        const home = files[0]?.codexHome;
        if (home && normalizeCwd(req.cwd) === normalizeCwd(home)) {
          // Codex starts a thread-less copy of each server in the Codex home to list its tools.
          return { resolvedBy: 'unresolved', threadless: true };
        }
        const locks = new Map(files.filter((f) => f.kind === 'lock').map((f) => [f.threadId, f.path]));
        const ids = [...new Set(files.map((f) => f.threadId))];
        if (ids.length > 0) {
          const candidates = await toCandidates(ids, (id) => locks.get(id));
          const claimed = await claim(req, candidates, 'parent-open-files', `claim-${codex.pid}`);
          if (claimed) {
            return claimed;
          }
          break; // every loaded thread already runs this server
        }
        if (Date.now() >= deadline) {
          break;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    }
  } else {
    const lockDir = path.join(req.codexHome, LOCKS_DIR);
    const ids = [...(await readLiveLocks(req.codexHome, silentLogger)).ids];
    if (ids.length > 0) {
      const candidates = await toCandidates(ids, (id) => path.join(lockDir, `${id}.lock`));
      const claimed = await claim(req, candidates, 'live-locks', 'claim-live-locks');
      if (claimed) {
        return claimed;
      }
    }
  }

  const recorded = await fromExtensionRecord(req);
  if (recorded) {
    return recorded;
  }
  return { resolvedBy: 'unresolved' };
}

async function toCandidates(ids: string[], lockPath: (id: string) => string | undefined): Promise<Candidate[]> {
  // Synchronous stats, for the same reason as the open-file listing: cheaper in a tight loop.
  return ids.map((threadId) => {
    const created = uuidV7Time(threadId) ?? 0;
    const lock = lockPath(threadId);
    let mtime = 0;
    if (lock) {
      try {
        mtime = fs.statSync(lock).mtimeMs;
      } catch {
        // unloaded meanwhile
      }
    }
    return { threadId, loadedAt: Math.max(created, mtime) };
  });
}

function hasLiveInstance(ctx: ThreadContext | undefined, server: string, selfPid: number): boolean {
  return !!ctx?.bindings.some((b) => b.server === server && b.shimPid !== selfPid && isBindingLive(b));
}

function startingBinding(req: ResolveRequest, resolvedBy: Resolution): McpBinding {
  return { server: req.server, shimPid: req.pid, resolvedBy, status: 'starting', startedAt: new Date(req.startedAtMs).toISOString(), callCount: 0, corrections: [] };
}

async function claim(req: ResolveRequest, candidates: Candidate[], resolvedBy: Resolution, lockName: string): Promise<ResolveResult | undefined> {
  const ordered = orderCandidates(candidates, req.startedAtMs);
  const store = req.store;
  if (!store) {
    // No store: the timing rule alone decides (the per-call check corrects a wrong guess).
    return { threadId: ordered[0]?.threadId, resolvedBy };
  }
  try {
    return await store.withLock(lockName, async () => {
      for (const c of ordered) {
        const { ref, file } = await store.locateThread(c.threadId, req.cwd);
        let taken = false;
        await store.update(ref, (cur) => {
          if (hasLiveInstance(cur, req.server, req.pid)) {
            taken = true;
            return undefined;
          }
          const ctx = cur ?? store.newContext(ref);
          settleDeadBindings(ctx); // shims Codex SIGKILLed before they could record their exit
          if (ctx.thread.status === 'unknown') {
            ctx.thread.status = 'live';
          }
          ctx.bindings.push(startingBinding(req, resolvedBy));
          return ctx;
        });
        if (!taken) {
          return { threadId: c.threadId, resolvedBy, contextFile: file, threadCwd: ref.cwd };
        }
      }
      return undefined;
    });
  } catch (err) {
    // Fail open: a store problem must not stop the server; the timing rule alone decides.
    return { threadId: ordered[0]?.threadId, resolvedBy, message: `could not record the binding: ${(err as Error).message}` };
  }
}

/** Step 4: a live thread the extension recorded (it knows the terminal) for this cwd's group. */
async function fromExtensionRecord(req: ResolveRequest): Promise<ResolveResult | undefined> {
  const store = req.store;
  if (!store) {
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
    return await claim(req, live, 'extension', 'claim-extension');
  } catch {
    return undefined;
  }
}
