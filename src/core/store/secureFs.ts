// File-system primitives for the context store. The store is private to the user and must not be
// steered somewhere else by a symlink it did not create, so every directory is checked with lstat
// and every file is opened with O_NOFOLLOW where the platform has it.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

const IS_WINDOWS = process.platform === 'win32';
// O_NOFOLLOW is absent on Windows; there symlinks need privileges to create and we fall back to lstat checks.
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

export class StoreFsError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'StoreFsError';
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    default:
      return e?.message ?? String(err);
  }
}

/** Wraps a low-level error in one that names the store path and what went wrong, in words. */
export function fsError(action: string, p: string, err: unknown): StoreFsError {
  return new StoreFsError(`context store: cannot ${action} ${p}: ${describe(err)}`, (err as NodeJS.ErrnoException)?.code);
}

/**
 * Makes sure `dir` exists as a real directory (not a symlink) with mode 0700, creating missing
 * parents. Only the directories the store itself creates get their mode set; an existing `dir`
 * that is a symlink is refused rather than followed.
 */
export function ensurePrivateDir(dir: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw fsError('inspect', dir, err);
    }
  }
  if (st === undefined) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw fsError('create directory', dir, err);
      }
    }
    st = fs.lstatSync(dir);
  }
  if (st.isSymbolicLink()) {
    throw new StoreFsError(`context store: refusing to follow symlink ${dir} (the store does not create symlinks)`, 'ELOOP');
  }
  if (!st.isDirectory()) {
    throw new StoreFsError(`context store: ${dir} exists and is not a directory`, 'ENOTDIR');
  }
  if (!IS_WINDOWS && (st.mode & 0o077) !== 0 && typeof process.getuid === 'function' && st.uid === process.getuid()) {
    // Tighten a directory we own that someone made group/world accessible.
    try {
      fs.chmodSync(dir, DIR_MODE);
    } catch (err) {
      throw fsError('set permissions on', dir, err);
    }
  }
}

/** Result of a bounded read: the text, or why there is none. */
export type ReadResult = { kind: 'ok'; text: string } | { kind: 'missing' } | { kind: 'bad'; reason: string };

/**
 * Reads a regular file of at most `maxBytes` without following a symlink. A symlink, a directory
 * or an oversized file counts as bad input (the caller moves it aside) rather than an I/O error.
 *
 * Synchronous on purpose (see pacer.ts): a context file is small (a few KB, never more than
 * 4 MB), and its open, stat, read and close take tens of microseconds. The shim blocks its relay
 * for as long as the read itself. O_NONBLOCK keeps a FIFO planted in the store from blocking the
 * open; fstat then refuses it. Throws on an I/O error.
 */
export function readFileBounded(file: string, maxBytes: number): ReadResult {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return { kind: 'missing' };
    }
    if (code === 'ELOOP' || code === 'EMLINK') {
      return { kind: 'bad', reason: 'is a symlink' };
    }
    throw fsError('read', file, err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      return { kind: 'bad', reason: 'is not a regular file' };
    }
    if (IS_WINDOWS && fs.lstatSync(file).isSymbolicLink()) {
      return { kind: 'bad', reason: 'is a symlink' };
    }
    if (st.size > maxBytes) {
      return { kind: 'bad', reason: `is ${st.size} bytes, more than the ${maxBytes} a context file may have` };
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const bytesRead = fs.readSync(fd, buf, off, buf.length - off, off);
      if (bytesRead === 0) {
        break;
      }
      off += bytesRead;
    }
    return { kind: 'ok', text: buf.subarray(0, off).toString('utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

/** readFileBounded, with an I/O error (unreadable folder, EIO) as undefined. */
export function readFileBoundedOrUndefined(file: string, maxBytes: number): ReadResult | undefined {
  try {
    return readFileBounded(file, maxBytes);
  } catch {
    return undefined;
  }
}

/**
 * Writes `data` to `target` atomically: a private temp file beside it (O_EXCL, O_NOFOLLOW, 0600),
 * fsync, rename over the target, then fsync the directory so the rename survives a crash.
 * A reader sees the old file or the new one, never a mix. Hand-written rather than
 * write-file-atomic because that package resolves symlinks at the target, which the store must not
 * do, and because the fence check must sit between the fsync and the rename.
 */
export async function writeFileAtomic(target: string, data: string, beforeRename?: () => void): Promise<void> {
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | O_NOFOLLOW, FILE_MODE);
    await handle.writeFile(data, 'utf8');
    if (!IS_WINDOWS) {
      await handle.chmod(FILE_MODE); // the umask may have narrowed it further; make it exactly 0600
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    beforeRename?.();
    await fsp.rename(tmp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fsp.unlink(tmp).catch(() => undefined);
    if (err instanceof StoreFsError || !(err as NodeJS.ErrnoException)?.code) {
      throw err;
    }
    throw fsError('write', target, err);
  }
  await syncDir(path.dirname(target));
}

async function syncDir(dir: string): Promise<void> {
  if (IS_WINDOWS) {
    return; // directories cannot be opened for fsync on Windows; rename is still atomic there
  }
  try {
    const handle = await fsp.open(dir, fs.constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on directories; the write itself already succeeded.
  }
}
