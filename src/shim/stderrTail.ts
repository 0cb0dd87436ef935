// Keeps the last 256 KB of the server's stderr in a file, for the extension to show when a server
// misbehaves. Codex logs stderr too, but in its own log, mixed with everything else.
//
// Memory holds at most the limit plus one chunk; the file is rewritten at most a few times a second
// (temp file + rename, so a reader never sees half a file), always with mode 0600 because a server's
// stderr can contain anything. Writes happen off the relay's path and never throw into it.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const STDERR_TAIL_BYTES = 256 * 1024;
const FLUSH_DELAY_MS = 250;

export class StderrTail {
  private chunks: Buffer[] = [];
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing = false;
  private dirty = false;
  private failed = false;
  private closed = false;

  constructor(
    private file: string,
    private readonly onError: (message: string) => void,
    private readonly limit = STDERR_TAIL_BYTES,
  ) {}

  get path(): string {
    return this.file;
  }

  /** Continue the same tail in another file (the binding moved to another thread). */
  moveTo(file: string): void {
    if (file !== this.file) {
      this.file = file;
      this.dirty = this.total > 0;
      this.schedule();
    }
  }

  write(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
    while (this.chunks.length > 1 && this.total - this.chunks[0].length >= this.limit) {
      this.total -= this.chunks.shift()!.length;
    }
    this.dirty = true;
    this.schedule();
  }

  /** The bytes the file should hold: the last `limit` bytes seen. */
  contents(): Buffer {
    const all = Buffer.concat(this.chunks, this.total);
    return all.length > this.limit ? all.subarray(all.length - this.limit) : all;
  }

  /** Final write before the process exits. */
  flushSync(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.closed = true;
    if (!this.dirty || this.failed) {
      return;
    }
    this.dirty = false;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = this.tempName('final');
      fs.writeFileSync(tmp, this.contents(), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch (e) {
      this.fail(e);
    }
  }

  private schedule(): void {
    if (this.timer === undefined && !this.writing && !this.failed) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, FLUSH_DELAY_MS);
      // Never keep the shim alive just to write a log.
      this.timer.unref();
    }
  }

  private async flush(): Promise<void> {
    if (!this.dirty || this.failed || this.closed) {
      return;
    }
    this.dirty = false;
    this.writing = true;
    const tmp = this.tempName('async');
    try {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await fs.promises.writeFile(tmp, this.contents(), { mode: 0o600 });
      if (this.closed) {
        // flushSync ran meanwhile and wrote newer contents: do not put older ones over them.
        await fs.promises.rm(tmp, { force: true });
        return;
      }
      await fs.promises.rename(tmp, this.file);
    } catch (e) {
      this.fail(e);
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    } finally {
      this.writing = false;
    }
    if (this.dirty && !this.closed) {
      this.schedule();
    }
  }

  private tempName(kind: string): string {
    return `${this.file}.${process.pid}.${kind}.tmp`;
  }

  private fail(e: unknown): void {
    this.failed = true;
    this.onError(`cannot keep the server's stderr in ${this.file}: ${(e as Error).message}`);
  }
}
