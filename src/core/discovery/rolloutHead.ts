import * as fs from 'node:fs';
import { SessionMeta, sessionMetaFromLine } from './sessionMeta';
import { firstUserMessageFromRecord } from './title';
import { DiscoveryLogger } from './types';

// Reads the start of a rollout, with bounds: the first line (session metadata) and, when asked,
// the first user message further down. Never follows a symlink (O_NOFOLLOW), never blocks on a
// FIFO (O_NONBLOCK, then fstat must say regular file), never reads more than `maxScanBytes`.
// Synchronous (see pacer.ts): a head is a few small reads, tens of microseconds from the page
// cache. Callers reading many pace themselves with a Pacer.

export interface RolloutHeadOptions {
  /** Bytes of the first line that are parsed; a longer line is parsed as a prefix. Default 64 KiB. */
  readonly maxMetaBytes?: number;
  /** Total bytes read while looking for the first user message. Default 512 KiB. */
  readonly maxScanBytes?: number;
  /** Look for the first user message. Default true. */
  readonly wantTitle?: boolean;
}

export interface RolloutHead {
  /** Undefined when the first line is not session metadata (yet: it may still be being written). */
  readonly meta?: SessionMeta;
  /** The first user message, full text (see title.ts to shorten it). */
  readonly firstUserMessage?: string;
  /** File facts at the time of reading. */
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
// Lines worth parsing while looking for the first user message (cheap byte test first).
const USER_HINTS = [Buffer.from('user_message'), Buffer.from('"role":"user"'), Buffer.from('UserMessage')];
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/** Undefined (with a debug log) when the file cannot be read or is not a regular file. */
export function readRolloutHead(file: string, logger: DiscoveryLogger, options: RolloutHeadOptions = {}): RolloutHead | undefined {
  const maxMeta = options.maxMetaBytes ?? CHUNK;
  const maxScan = Math.max(options.maxScanBytes ?? 512 * 1024, maxMeta);
  const wantTitle = options.wantTitle ?? true;
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (err) {
    logger.debug(`discovery: cannot open ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      logger.debug(`discovery: ignoring ${file}: not a regular file`);
      return undefined;
    }
    const first = Buffer.allocUnsafe(Math.min(maxMeta, Math.max(st.size, 1)));
    const bytesRead = fs.readSync(fd, first, 0, first.length, 0);
    const head = first.subarray(0, bytesRead);
    const nl = head.indexOf(NEWLINE);
    let meta: SessionMeta | undefined;
    if (nl >= 0) {
      meta = sessionMetaFromLine(head.toString('utf8', 0, nl), true);
    } else if (bytesRead > 0) {
      // No newline within the bound: the line is longer than the bound, or still being written.
      const text = head.toString('utf8');
      meta = sessionMetaFromLine(text, bytesRead === st.size && bytesRead < maxMeta) ?? sessionMetaFromLine(text, false);
    }
    if (!meta && bytesRead > 0) {
      logger.debug(`discovery: ${file}: first line is not session metadata${nl < 0 ? ` (no line end in ${bytesRead} bytes)` : ''}`);
    }
    let firstUserMessage: string | undefined;
    if (wantTitle && meta) {
      firstUserMessage = scanForUserMessage(fd, head, nl, maxScan, st.size);
    }
    const result: RolloutHead = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    return { ...result, ...(meta ? { meta } : {}), ...(firstUserMessage !== undefined ? { firstUserMessage } : {}) };
  } catch (err) {
    logger.debug(`discovery: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Looks at whole lines after the first, within `maxScan` bytes from the file start. */
function scanForUserMessage(fd: number, head: Buffer, firstNl: number, maxScan: number, size: number): string | undefined {
  let pending: Buffer = firstNl >= 0 ? head.subarray(firstNl + 1) : Buffer.alloc(0);
  let skippingFirstLine = firstNl < 0; // the first line goes on past `head`
  let offset = head.length;
  for (;;) {
    let start = 0;
    for (;;) {
      const nl = pending.indexOf(NEWLINE, start);
      if (nl < 0) {
        break;
      }
      if (skippingFirstLine) {
        skippingFirstLine = false;
      } else {
        const found = userMessageInLine(pending.subarray(start, nl));
        if (found !== undefined) {
          return found;
        }
      }
      start = nl + 1;
    }
    pending = skippingFirstLine ? Buffer.alloc(0) : pending.subarray(start);
    const budget = Math.min(maxScan, size) - offset;
    if (budget <= 0) {
      return undefined;
    }
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, budget));
    const bytesRead = fs.readSync(fd, chunk, 0, chunk.length, offset);
    if (bytesRead === 0) {
      return undefined;
    }
    offset += bytesRead;
    pending = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
  }
}

function userMessageInLine(line: Buffer): string | undefined {
  if (!USER_HINTS.some((h) => line.includes(h))) {
    return undefined;
  }
  let record: unknown;
  try {
    record = JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
  return firstUserMessageFromRecord(record);
}
