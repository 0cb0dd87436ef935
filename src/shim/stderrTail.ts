// Keeps the last 256 KB of a server's stderr in a file, for the user and the extension to look at
// when a server misbehaves: by default Codex shows a server's stderr nowhere (only with
// RUST_LOG=info, in its own log).
//
// One file per thread and server (`<store>/logs/<thread id>.<server>.stderr.log`), shared by every
// shim that ever ran that server for that thread (a resumed thread, or an old and a new shim for a
// moment). So the file is only ever appended to (O_APPEND: concurrent appends do not overwrite each
// other), and when it has grown past twice the limit it is cut back to the last `limit` bytes
// (temp file + rename; a reader never sees half a file). At exit the shim cuts it to the limit.
// A cut races with another shim's append at worst by losing that append, never by corrupting
// the file. Files are 0600 because a server's stderr can contain anything.
//
// Memory holds at most the limit plus one chunk; writes happen off the relay's path, a few times
// a second at most, and never throw into it.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const STDERR_TAIL_BYTES = 256 * 1024;
const FLUSH_DELAY_MS = 250;
const APPEND = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0);

export class StderrTail {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Bytes at the end of `chunks` not yet in the file. */
  private unwritten = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing = false;
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

  /** Continue in another file (the binding moved to another thread); what is not written yet goes there. */
  moveTo(file: string): void {
    if (file !== this.file) {
      this.file = file;
      this.schedule();
    }
  }

  write(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
    this.unwritten += chunk.length;
    while (this.chunks.length > 1 && this.total - this.chunks[0].length >= this.limit) {
      this.total -= this.chunks.shift()!.length;
    }
    this.schedule();
  }

  /** The last `limit` bytes this shim has seen. */
  contents(): Buffer {
    const all = Buffer.concat(this.chunks, this.total);
    return all.length > this.limit ? all.subarray(all.length - this.limit) : all;
  }

  /** Final write before the process exits; the file is cut to the limit. */
  flushSync(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.closed = true;
    if (this.failed) {
      return;
    }
    try {
      const bytes = this.takeUnwritten();
      if (bytes.length === 0 && !fs.existsSync(this.file)) {
        return;
      }
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const fd = fs.openSync(this.file, APPEND, 0o600);
      try {
        fs.writeSync(fd, bytes);
        this.cutIfOver(fd, this.limit);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  private takeUnwritten(): Buffer {
    const n = Math.min(this.unwritten, this.total, this.limit);
    this.unwritten = 0;
    const all = Buffer.concat(this.chunks, this.total);
    return all.subarray(all.length - n);
  }

  private schedule(): void {
    if (this.timer === undefined && !this.writing && !this.failed && !this.closed) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, FLUSH_DELAY_MS);
      // Never keep the shim alive just to write a log.
      this.timer.unref();
    }
  }

  private async flush(): Promise<void> {
    if (this.unwritten === 0 || this.failed || this.closed) {
      return;
    }
    this.writing = true;
    const bytes = this.takeUnwritten();
    try {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const handle = await fs.promises.open(this.file, APPEND, 0o600);
      try {
        await handle.write(bytes);
        // Past twice the limit: cut back (rarely; synchronous, and small).
        this.cutIfOver(handle.fd, 2 * this.limit);
      } finally {
        await handle.close();
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.writing = false;
    }
    if (this.unwritten > 0) {
      this.schedule();
    }
  }

  /** Replaces the file by its last `limit` bytes when it holds more than `over`. */
  private cutIfOver(fd: number, over: number): void {
    const size = fs.fstatSync(fd).size;
    if (size <= over) {
      return;
    }
    const keep = Buffer.alloc(Math.min(this.limit, size));
    const rfd = fs.openSync(this.file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    let read: number;
    try {
      read = fs.readSync(rfd, keep, 0, keep.length, size - keep.length);
    } finally {
      fs.closeSync(rfd);
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, keep.subarray(0, read), { mode: 0o600, flag: 'w' });
    fs.renameSync(tmp, this.file);
  }

  private fail(e: unknown): void {
    this.failed = true;
    this.onError(`cannot keep the server's stderr in ${this.file}: ${(e as Error).message}`);
  }
}
