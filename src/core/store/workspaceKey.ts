// Both the shim (which knows only a cwd) and the extension (which knows a thread's cwd from
// discovery) must arrive at the same file for the same thread. So the group a thread's file lives
// in is a pure function of the thread's cwd: a readable slug of its last segment plus a hash of
// the normalised absolute path.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Absolute, symlink-free form of a cwd, so `/tmp/x` and `/private/tmp/x` (macOS) or a path through
 * a symlinked home land in one group. Windows paths are case-insensitive, so they are lower-cased.
 * A cwd that does not exist (any more) is only resolved lexically.
 */
export function normalizeCwd(cwd: string): string {
  let p = path.resolve(cwd);
  try {
    p = fs.realpathSync.native(p);
  } catch {
    // keep the lexical form
  }
  if (process.platform === 'win32') {
    p = p.toLowerCase();
  }
  if (p.length > 1 && (p.endsWith('/') || p.endsWith('\\')) && !/^[a-z]:\\$/i.test(p)) {
    p = p.slice(0, -1);
  }
  return p;
}

const KEY = /^[a-z0-9._-]{1,40}-[0-9a-f]{16}$/;

/** The group key of a (normalised) cwd, e.g. `my-project-3f2a9c0d1e4b5a68`. */
export function workspaceKeyFor(normalizedCwd: string): string {
  const base = path.basename(normalizedCwd) || 'root';
  const slug =
    base
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 40) || 'root';
  const hash = crypto.createHash('sha256').update(normalizedCwd).digest('hex').slice(0, 16);
  return `${slug}-${hash}`;
}

/** True for a string that could have come from workspaceKeyFor: safe to use as a directory name. */
export function isWorkspaceKey(value: unknown): value is string {
  return typeof value === 'string' && KEY.test(value);
}

/** True when `child` is `parent` or lies below it (both normalised). */
export function isSameOrInside(child: string, parent: string): boolean {
  if (child === parent) {
    return true;
  }
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
