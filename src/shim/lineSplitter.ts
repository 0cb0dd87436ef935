// Frames a byte stream into newline-delimited lines (MCP over stdio) with bounded memory.
//
// A line up to `bound` bytes is handed over whole (one copy at most, when it spans chunks). A
// longer one is handed over as it arrives: once what has come of it exceeds the bound, its bytes
// so far, then every further piece, then a copy of its last END_BYTES when its '\n' has passed. So
// the splitter holds at most `bound` bytes plus one chunk, whatever the size of a message.
//
// The handler may refuse a line or the start of a long line ("not now", e.g. while the server is
// being replaced): the splitter then keeps it and everything after it, stops, and tells its caller
// to pause the source; `resume()` offers the line again.

import { END_BYTES } from './messageClass';

const LF = 0x0a;

export interface LineHandler {
  /**
   * Optional: once a line has grown past the splitter's bound, how long it may still grow and
   * be held whole, judged from its bytes so far (e.g. a request whose content must be read before
   * it is passed on). Asked once per line; a value not above the bound lets it stream.
   */
  extendBound?(head: Buffer): number;
  /** A whole line, '\n' included (except a last line at end of input). False: not now. */
  line(bytes: Buffer): boolean;
  /**
   * A line longer than the bound begins: `head` is a copy of its first bytes (up to END_BYTES),
   * for classifying it. False: not now. Then all of its bytes come through longPiece.
   */
  longStart(head: Buffer): boolean;
  /** The long line's bytes, as they arrive; the last piece ends with its '\n'. */
  longPiece(piece: Buffer): void;
  /** The long line has ended; `tail` is a copy of its last bytes (up to END_BYTES). */
  longEnd(tail: Buffer): void;
}

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private long = false;
  private tail: Buffer = Buffer.alloc(0);
  /** The unhandled rest of a chunk, kept while the handler refuses a line. */
  private rest: Buffer | undefined;
  private ended = false;
  /** The bound of the line being assembled: `bound`, or what extendBound allowed for it. */
  private lineBound: number;

  constructor(
    private readonly handler: LineHandler,
    private readonly bound: number,
  ) {
    this.lineBound = bound;
  }

  /** True while a refused line waits: the caller keeps its source paused. */
  get stalled(): boolean {
    return this.rest !== undefined;
  }

  /** True while a long line is only partly through. */
  get midLong(): boolean {
    return this.long;
  }

  /** Handles a chunk. False: the handler refused a line; pause the source until resume(). */
  push(chunk: Buffer): boolean {
    if (this.rest !== undefined) {
      this.rest = Buffer.concat([this.rest, chunk]);
      return false;
    }
    return this.run(chunk);
  }

  /** Offers a refused line again. False: still refused. */
  resume(): boolean {
    const rest = this.rest;
    if (rest === undefined) {
      return true;
    }
    this.rest = undefined;
    if (!this.run(rest)) {
      return false;
    }
    if (this.ended) {
      this.end();
    }
    return true;
  }

  /** End of input: a last line without '\n' is handed over as it is. False: refused, retried on resume(). */
  end(): boolean {
    this.ended = true;
    if (this.rest !== undefined) {
      return false;
    }
    if (this.long) {
      this.long = false;
      this.handler.longEnd(this.tail);
    } else if (this.pendingLength > 0) {
      const line = this.takePending(undefined);
      if (!this.handler.line(line)) {
        this.rest = line;
        return false;
      }
    }
    return true;
  }

  private run(chunk: Buffer): boolean {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(LF, pos);
      const stop = nl < 0 ? chunk.length : nl + 1;
      if (this.long) {
        const piece = chunk.subarray(pos, stop);
        this.keepTail(piece);
        this.handler.longPiece(piece);
        if (nl >= 0) {
          this.long = false;
          this.handler.longEnd(this.tail);
        }
        pos = stop;
        continue;
      }
      const length = this.pendingLength + stop - pos;
      if (length > this.lineBound && this.lineBound === this.bound && this.handler.extendBound !== undefined) {
        this.lineBound = Math.max(this.bound, this.handler.extendBound(firstBytes([...this.pending, chunk.subarray(pos, stop)])));
      }
      if (length <= this.lineBound) {
        if (nl < 0) {
          this.pending.push(chunk.subarray(pos));
          this.pendingLength = length;
          return true;
        }
        const line = this.takePending(chunk.subarray(pos, stop));
        this.lineBound = this.bound;
        if (!this.handler.line(line)) {
          this.rest = stop === chunk.length ? line : Buffer.concat([line, chunk.subarray(stop)]);
          return false;
        }
        pos = stop;
        continue;
      }
      // Longer than the bound: from here on it streams, starting with what has been kept of it.
      this.lineBound = this.bound;
      const parts = [...this.pending, chunk.subarray(pos, stop)];
      if (!this.handler.longStart(firstBytes(parts))) {
        this.pending = [];
        this.pendingLength = 0;
        this.rest = Buffer.concat([...parts, chunk.subarray(stop)]);
        return false;
      }
      this.pending = [];
      this.pendingLength = 0;
      this.long = true;
      this.tail = Buffer.alloc(0);
      for (const part of parts) {
        this.keepTail(part);
        this.handler.longPiece(part);
      }
      if (nl >= 0) {
        this.long = false;
        this.handler.longEnd(this.tail);
      }
      pos = stop;
    }
    return true;
  }

  /** The pending bytes followed by `last`, as one buffer; the pending list is emptied. */
  private takePending(last: Buffer | undefined): Buffer {
    const parts = this.pending;
    const length = this.pendingLength + (last?.length ?? 0);
    this.pending = [];
    this.pendingLength = 0;
    if (parts.length === 0) {
      return last ?? Buffer.alloc(0);
    }
    if (last !== undefined) {
      parts.push(last);
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
  }

  private keepTail(piece: Buffer): void {
    if (piece.length >= END_BYTES) {
      this.tail = Buffer.from(piece.subarray(piece.length - END_BYTES));
    } else {
      const joined = Buffer.concat([this.tail, piece]);
      this.tail = joined.subarray(Math.max(0, joined.length - END_BYTES));
    }
  }
}

/** A copy of the first END_BYTES of a line given as pieces. */
function firstBytes(parts: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  let length = 0;
  for (const p of parts) {
    if (length >= END_BYTES) {
      break;
    }
    const piece = p.subarray(0, END_BYTES - length);
    out.push(piece);
    length += piece.length;
  }
  return Buffer.concat(out, length);
}
