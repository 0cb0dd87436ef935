// The views' benchmark data, shared by the plain-Node bench (extensionViews.ts) and the one in the
// real extension host (extensionHost.ts): a Codex home with THREADS threads of one workspace
// folder (rollouts with 20 KB first lines, every other one with a lock file) and BINDINGS shim
// bindings each in the context store.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContextStore } from '../src/core/store/contextStore';

export const THREADS = 200;
export const BINDINGS = 3;

/** A UUIDv7-shaped id whose leading digits are `ms` (as Codex's are), told apart by `n`. */
export function uuidV7(ms: number, n: number): string {
  const hex = Math.floor(ms).toString(16).padStart(12, '0');
  const tail = n.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7abc-8def-${tail}`;
}

function dayDir(home: string, ms: number): string {
  const d = new Date(ms);
  return path.join(home, 'sessions', String(d.getFullYear()), String(d.getMonth() + 1).padStart(2, '0'), String(d.getDate()).padStart(2, '0'));
}

/** Writes the rollout of thread `id` as Codex does: session_meta first, then a user message. */
export function rollout(home: string, id: string, ms: number, cwd: string): void {
  const dir = dayDir(home, ms);
  fs.mkdirSync(dir, { recursive: true });
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const name = `rollout-${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}-${id}.jsonl`;
  const meta = { timestamp: d.toISOString(), type: 'session_meta', payload: { id, session_id: id, timestamp: d.toISOString(), cwd, originator: 'codex-tui', cli_version: '0.169.0', source: 'cli', base_instructions: { text: 'x'.repeat(20_000) } } };
  const user = { timestamp: d.toISOString(), type: 'response_item', payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text: `task number ${id.slice(-4)}` }] } };
  fs.writeFileSync(path.join(dir, name), `${JSON.stringify(meta)}\n${JSON.stringify(user)}\n`);
}

/** A thread's lock file, as a live Codex thread holds it (discovery's "live" signal). */
export function lockFile(home: string, id: string): string {
  return path.join(home, 'thread-writer-locks', `${id}.lock`);
}

/** Adds one call to binding `index` of thread `id`, written as the shim writes it. */
export async function recordCall(store: ContextStore, id: string, cwd: string, index = 0): Promise<void> {
  await store.update({ id, cwd }, (cur) => {
    cur!.bindings[index].callCount++;
    cur!.bindings[index].lastCallAt = new Date().toISOString();
    return cur;
  });
}

/**
 * Writes `count` (default THREADS) threads of `folder` into the Codex home `home` (store at `<home>/thread-context`),
 * one second apart and a minute old, each with BINDINGS bindings whose shim is `shimPid`. Returns
 * the thread ids, newest first.
 */
export async function writeThreads(home: string, folder: string, shimPid = process.pid, count = THREADS): Promise<{ store: ContextStore; ids: string[] }> {
  fs.mkdirSync(path.join(home, 'thread-writer-locks'), { recursive: true });
  fs.mkdirSync(folder, { recursive: true });
  const store = new ContextStore({ root: path.join(home, 'thread-context') });
  const now = Date.now() - 60_000;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const ms = now - i * 1000;
    const id = uuidV7(ms, i + 1);
    ids.push(id);
    rollout(home, id, ms, folder);
    if (i % 2 === 0) {
      fs.writeFileSync(lockFile(home, id), '');
    }
    await store.update({ id, cwd: folder }, (cur) => {
      const ctx = cur ?? store.newContext({ id, cwd: folder });
      for (let b = 0; b < BINDINGS; b++) {
        ctx.bindings.push({ server: `server${b}`, shimPid, serverPid: shimPid, resolvedBy: 'parent-open-files', status: 'running', startedAt: new Date(ms).toISOString(), callCount: b * 3, corrections: [] });
      }
      return ctx;
    });
  }
  return { store, ids };
}
