// The first and simplest way to know the thread: Codex already put it in our environment (it does
// for shell commands, and a user may launch a server by hand from such a shell). Codex does not
// do it for MCP servers, so in production the full resolver (which also looks at the launching
// Codex process and the Codex home) replaces this one; this one is its step 1 and the default.

import { isThreadId } from '../core/threadId';
import type { ResolveContext, ResolveResult } from './types';

export async function resolveFromEnv(ctx: ResolveContext): Promise<ResolveResult> {
  const raw = ctx.env.CODEX_THREAD_ID;
  if (raw === undefined || raw.trim() === '') {
    return { resolvedBy: 'unresolved', message: 'no thread found (CODEX_THREAD_ID is not set)' };
  }
  const id = raw.trim().toLowerCase();
  if (!isThreadId(id)) {
    return { resolvedBy: 'unresolved', message: `CODEX_THREAD_ID is not a thread id: ${JSON.stringify(raw.slice(0, 80))}` };
  }
  return { threadId: id, resolvedBy: 'env' };
}
