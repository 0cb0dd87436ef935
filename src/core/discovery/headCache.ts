import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensurePrivateDir, readFileBounded, writeFileAtomic } from '../store/secureFs';
import { checkedSessionMeta, compact, isObject, type SessionMeta } from './sessionMeta';
import { shortenTitle } from './title';
import type { DiscoveryLogger } from './types';

// Discovery's rollout heads, kept on disk between sessions (the extension keeps the file in its
// global storage). A rollout's first line never changes, so a window that starts needs only one
// stat per rollout it has seen before, instead of opening and parsing each head: at start-up the
// extension host is shared with every other extension that activates, and each file operation
// waits its turn there.
//
// The file is a cache: unreadable, corrupt or written for another Codex home, it is ignored (with a
// debug log) and rewritten. Every entry is checked member by member before use; its key is only
// ever looked up with a path discovery found itself, so the file cannot point discovery anywhere.

/** What one read of a rollout's head told; valid while size, mtime and inode hold (meta: while the inode does). */
export interface HeadInfo {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly meta?: SessionMeta;
  readonly firstUserMessage?: string;
}

export interface HeadCacheOptions {
  readonly codexHome: string;
  readonly logger: DiscoveryLogger;
  /** Kept on disk here between sessions; memory only without it. */
  readonly file?: string;
  /** Entries kept in memory; past it the cache starts over. */
  readonly limit: number;
  /** Delay from a new head to the write that saves it, to batch a start-up's worth. Default 2 s. */
  readonly saveDelayMs?: number;
}

/** Rollout heads by rollout path: in memory, and in `file` when given. */
export class HeadCache {
  private readonly heads = new Map<string, HeadInfo>();
  private saved = new Map<string, HeadInfo>();
  private loaded = false;
  private dirty = false;
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly o: HeadCacheOptions) {}

  get(rollout: string): HeadInfo | undefined {
    this.load();
    const known = this.heads.get(rollout);
    if (known) {
      return known;
    }
    // Only what this session used goes back to the file, so heads of rollouts gone from view drop out.
    const saved = this.saved.get(rollout);
    if (saved) {
      this.saved.delete(rollout);
      this.heads.set(rollout, saved);
    }
    return saved;
  }

  set(rollout: string, info: HeadInfo): void {
    const before = this.heads.get(rollout);
    if (this.heads.size >= this.o.limit && !before) {
      this.heads.clear();
    }
    this.heads.set(rollout, info);
    // A growing rollout changes size and mtime all the time; the file is only worth a write when
    // what was read from the head changed.
    if (!before || before.ino !== info.ino || before.meta !== info.meta || before.firstUserMessage !== info.firstUserMessage) {
      this.scheduleSave();
    }
  }

  /** Reads the file the first time it is needed (nothing without a file). */
  private load(): void {
    const file = this.o.file;
    if (this.loaded || !file) {
      return;
    }
    this.loaded = true;
    this.saved = loadHeadCache(file, this.o.codexHome, this.o.logger);
    this.o.logger.debug(`discovery: ${this.saved.size} rollout heads from ${file}`);
  }

  /** Writes pending changes now and stops the timer. */
  dispose(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    return this.save();
  }

  private scheduleSave(): void {
    if (!this.o.file) {
      return;
    }
    this.dirty = true;
    if (!this.saveTimer) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = undefined;
        void this.save();
      }, this.o.saveDelayMs ?? 2000);
      this.saveTimer.unref();
    }
  }

  private save(): Promise<void> {
    const file = this.o.file;
    if (!file || !this.dirty) {
      return this.saving;
    }
    this.dirty = false;
    const heads = new Map(this.heads);
    this.saving = this.saving
      .then(() => saveHeadCache(file, this.o.codexHome, heads))
      .catch((err: Error) => this.o.logger.debug(`discovery: cannot save the head cache ${file}: ${err.message}`));
    return this.saving;
  }
}

/** The cache file for `codexHome` in a private folder (one file per Codex home). */
export function headCacheFileIn(dir: string, codexHome: string): string {
  return path.join(dir, `rollout-heads-${createHash('sha256').update(codexHome).digest('hex').slice(0, 16)}.json`);
}

const VERSION = 1;
const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** The cached heads in `file` for `codexHome`; empty when there is no usable file. Synchronous (see pacer.ts). */
export function loadHeadCache(file: string, codexHome: string, logger: DiscoveryLogger): Map<string, HeadInfo> {
  const heads = new Map<string, HeadInfo>();
  let text: string;
  try {
    if (isSymlink(path.dirname(file))) {
      logger.debug(`discovery: ignoring the head cache ${file}: its folder is a symlink (the cache never makes one)`);
      return heads;
    }
    const read = readFileBounded(file, MAX_FILE_BYTES);
    if (read.kind === 'missing') {
      return heads;
    }
    if (read.kind === 'bad') {
      logger.debug(`discovery: ignoring the head cache ${file}: it ${read.reason}`);
      return heads;
    }
    text = read.text;
  } catch (err) {
    logger.debug(`discovery: cannot read the head cache ${file}: ${(err as Error).message}`);
    return heads;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    logger.debug(`discovery: ignoring the head cache ${file}: not JSON`);
    return heads;
  }
  if (!isObject(parsed) || parsed.version !== VERSION || parsed.codexHome !== codexHome || !isObject(parsed.heads)) {
    logger.debug(`discovery: ignoring the head cache ${file}: another version or Codex home`);
    return heads;
  }
  for (const [rollout, value] of Object.entries(parsed.heads)) {
    const info = checkedHeadInfo(value);
    if (info && path.isAbsolute(rollout)) {
      heads.set(rollout, info);
    }
  }
  return heads;
}

/** Writes `heads` for `codexHome` to `file` atomically (0600, in a 0700 folder). Throws on failure. */
export async function saveHeadCache(file: string, codexHome: string, heads: ReadonlyMap<string, HeadInfo>): Promise<void> {
  const out: Record<string, HeadInfo> = {};
  for (const [rollout, info] of heads) {
    // Only the title is made of the first message (title.ts), so that is all the cache keeps.
    out[rollout] = info.firstUserMessage === undefined ? info : { ...info, firstUserMessage: shortenTitle(info.firstUserMessage) };
  }
  ensurePrivateDir(path.dirname(file));
  await writeFileAtomic(file, JSON.stringify({ version: VERSION, codexHome, heads: out }));
}

function checkedHeadInfo(v: unknown): HeadInfo | undefined {
  if (!isObject(v) || !isFiniteNumber(v.ino) || !isCount(v.size) || !isFiniteNumber(v.mtimeMs)) {
    return undefined;
  }
  const meta = v.meta === undefined ? undefined : checkedSessionMeta(v.meta);
  if (v.meta !== undefined && !meta) {
    return undefined;
  }
  if (v.firstUserMessage !== undefined && typeof v.firstUserMessage !== 'string') {
    return undefined;
  }
  return compact({ ino: v.ino, size: v.size, mtimeMs: v.mtimeMs, meta, firstUserMessage: v.firstUserMessage });
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
