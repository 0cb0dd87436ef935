// Which store failures are worth retrying. A lock held too long, a lock lost to another writer,
// a full disk or a folder removed meanwhile pass; no permission and a read-only file system do
// not, and neither do the store's own refusals (an invalid id or context, a symlink it did not
// create): retrying those only repeats the same failure.
import { LockLostError, LockTimeoutError } from './fileLock';

const PERMANENT_CODES = new Set(['EACCES', 'EPERM', 'EROFS', 'ELOOP', 'ENOTDIR']);

export function isPermanentStoreError(err: unknown): boolean {
  if (err instanceof LockTimeoutError || err instanceof LockLostError) {
    return false;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    return PERMANENT_CODES.has(code);
  }
  return true;
}
