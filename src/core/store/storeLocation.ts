import * as path from 'node:path';
import { expandHome, resolveCodexHome } from '../codexHome';

export const STORE_DIR_ENV = 'CODEX_THREAD_CONTEXT_DIR';

/**
 * Where the context store lives. The shim knows only its environment: `CODEX_THREAD_CONTEXT_DIR`,
 * else `<codex home>/thread-context`. The extension passes its setting as `explicit`, which wins
 * there because the user set it in VS Code on purpose.
 */
export function resolveStoreRoot(env: NodeJS.ProcessEnv = process.env, explicit?: string, codexHome?: string): string {
  if (explicit?.trim()) {
    return path.resolve(expandHome(explicit.trim(), env));
  }
  const fromEnv = env[STORE_DIR_ENV]?.trim();
  if (fromEnv) {
    return path.resolve(expandHome(fromEnv, env));
  }
  return path.join(codexHome ?? resolveCodexHome(env), 'thread-context');
}
