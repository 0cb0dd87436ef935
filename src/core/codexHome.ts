import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The Codex home: `CODEX_HOME`, else an explicit setting or argument, else `~/.codex`.
 * `CODEX_HOME` wins because it is what Codex itself reads: a setting that disagreed with the
 * running Codex would point at the wrong files.
 */
export function resolveCodexHome(env: NodeJS.ProcessEnv = process.env, explicit?: string): string {
  const fromEnv = env.CODEX_HOME?.trim();
  if (fromEnv) {
    return path.resolve(fromEnv);
  }
  if (explicit?.trim()) {
    return path.resolve(expandHome(explicit.trim(), env));
  }
  return path.join(homeDir(env), '.codex');
}

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME?.trim() || env.USERPROFILE?.trim() || os.homedir();
}

export function expandHome(p: string, env: NodeJS.ProcessEnv = process.env): string {
  if (p === '~') {
    return homeDir(env);
  }
  if (p.startsWith('~/') || p.startsWith('~\\')) {
    return path.join(homeDir(env), p.slice(2));
  }
  return p;
}
