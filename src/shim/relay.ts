// Byte-exact line relaying with back-pressure.
//
// MCP over stdio is newline-delimited, so the shim frames on '\n' and nothing else: bytes are never
// decoded, re-encoded or re-joined, and a line that is not JSON (or not UTF-8) passes through like
// any other. Writes are coalesced: consecutive lines of one chunk that go to the same place leave as
// one slice of that chunk, so the common case costs one write per read, as a plain pipe would.
//
// Back-pressure: a source is paused whenever its destination's write() returns false and resumed
// on 'drain'. Nothing is queued beyond the chunk in hand and, in held mode, the one line being
// assembled; so memory stays bounded by the largest single message, not by the traffic.

import type { Readable, Writable } from 'node:stream';
import { noteRelayed } from './gcNudge';

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/** Bytes of a long line's start and end kept for classification (see messagePeek.ts). */
export const PEEK_BYTES = 1024;

/** Pauses a stream while any reason to hold it exists; resumes it when the last one is released. */
export class PauseGate {
  private readonly reasons = new Set<string>();

  constructor(private readonly stream: Readable) {}

  hold(reason: string): void {
    if (this.reasons.size === 0) {
      this.stream.pause();
    }
    this.reasons.add(reason);
  }

  release(reason: string): void {
    if (this.reasons.delete(reason) && this.reasons.size === 0) {
      this.stream.resume();
    }
  }

  get held(): boolean {
    return this.reasons.size > 0;
  }
}

/** A whole line as one range of one buffer: `buf[start, end)`. */
export type OnLine = (buf: Buffer, start: number, end: number) => void;
/** A whole line that arrived in several chunks, as those pieces (no copy), `length` bytes in all. */
export type OnPieces = (pieces: Buffer[], length: number) => void;

/**
 * Splits chunks into whole lines and hands each one over as `(buf, start, end)`, end including the
 * '\n'. A line within one chunk is a range of that chunk (no copy). A line spread over chunks is
 * given as its pieces when the caller takes them (`onPieces`), else joined once when its last piece
 * arrives. Used where a whole line must be seen before it can be routed: client requests (is it a
 * tools/call for another thread?) and a replacement server's output until its initialize reply has
 * been swallowed.
 */
export class LineAssembler {
  private pieces: Buffer[] = [];
  private piecesLength = 0;

  push(chunk: Buffer, onLine: OnLine, onPieces?: OnPieces): void {
    let pos = 0;
    let nl = chunk.indexOf(LF);
    if (this.piecesLength > 0) {
      if (nl < 0) {
        this.pieces.push(chunk);
        this.piecesLength += chunk.length;
        return;
      }
      this.pieces.push(chunk.subarray(0, nl + 1));
      this.deliver(this.piecesLength + nl + 1, onLine, onPieces);
      pos = nl + 1;
      nl = pos < chunk.length ? chunk.indexOf(LF, pos) : -1;
    }
    while (nl >= 0) {
      onLine(chunk, pos, nl + 1);
      pos = nl + 1;
      nl = pos < chunk.length ? chunk.indexOf(LF, pos) : -1;
    }
    if (pos < chunk.length) {
      const rest = pos === 0 ? chunk : chunk.subarray(pos);
      this.pieces.push(rest);
      this.piecesLength += rest.length;
    }
  }

  /** At end of input: the last line, if it had no '\n', is still delivered as it is. */
  end(onLine: OnLine, onPieces?: OnPieces): void {
    if (this.piecesLength > 0) {
      this.deliver(this.piecesLength, onLine, onPieces);
    }
  }

  get pendingBytes(): number {
    return this.piecesLength;
  }

  private deliver(length: number, onLine: OnLine, onPieces: OnPieces | undefined): void {
    const pieces = this.pieces;
    this.pieces = [];
    this.piecesLength = 0;
    if (onPieces !== undefined && pieces.length > 1) {
      onPieces(pieces, length);
    } else {
      const line = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length);
      onLine(line, 0, line.length);
    }
  }
}

/** Copies of the first and last `bytes` bytes of a line given as pieces. */
export function headAndTail(pieces: readonly Buffer[], bytes = PEEK_BYTES): { head: Buffer; tail: Buffer } {
  const head: Buffer[] = [];
  let headLength = 0;
  for (let k = 0; k < pieces.length && headLength < bytes; k++) {
    const part = pieces[k].subarray(0, bytes - headLength);
    head.push(part);
    headLength += part.length;
  }
  const tail: Buffer[] = [];
  let tailLength = 0;
  for (let k = pieces.length - 1; k >= 0 && tailLength < bytes; k--) {
    const p = pieces[k];
    const part = p.subarray(Math.max(0, p.length - (bytes - tailLength)));
    tail.unshift(part);
    tailLength += part.length;
  }
  return { head: Buffer.concat(head, headLength), tail: Buffer.concat(tail, tailLength) };
}

/** Collects consecutive ranges of one buffer into a single write. */
export class CoalescingWriter {
  private buf: Buffer | undefined;
  private start = 0;
  private end = 0;

  constructor(private readonly write: (data: Buffer) => void) {}

  add(buf: Buffer, start: number, end: number): void {
    if (buf === this.buf && start === this.end) {
      this.end = end;
      return;
    }
    this.flush();
    this.buf = buf;
    this.start = start;
    this.end = end;
  }

  flush(): void {
    const buf = this.buf;
    if (buf === undefined) {
      return;
    }
    this.buf = undefined;
    if (this.end > this.start) {
      this.write(this.start === 0 && this.end === buf.length ? buf : buf.subarray(this.start, this.end));
    }
  }
}

/**
 * What a source's owner learns about each complete line. For a line that arrived in one piece
 * head and tail are the same buffer and `whole` is true; for a long line they are copies of its
 * first and last PEEK_BYTES. Return false to drop the line (honoured only in whole-line mode:
 * a streamed line has left before its end is seen).
 */
export type LineObserver = (head: Buffer, hs: number, he: number, tail: Buffer, ts: number, te: number, whole: boolean) => boolean;

/**
 * Merges the stdout of one or more servers into one destination, a line at a time: while one
 * source is inside a line, others wait, so two servers (one finishing its last answers while its
 * replacement starts) can never interleave inside a message.
 */
export class OutputMux {
  private owner: MuxSource | undefined;
  private readonly waiting: MuxSource[] = [];
  readonly sources = new Set<MuxSource>();
  private congested = false;
  private written = 0;

  constructor(private readonly dest: Writable) {
    dest.on('drain', () => {
      this.congested = false;
      for (const s of this.sources) {
        s.gate.release('congested');
      }
    });
  }

  addSource(stream: Readable, observe: LineObserver, holdLines: boolean): MuxSource {
    const source = new MuxSource(this, stream, observe, holdLines);
    this.sources.add(source);
    if (this.congested) {
      source.gate.hold('congested');
    }
    return source;
  }

  /** Resolves when everything written so far has left the process (or the destination is gone). */
  whenFlushed(): Promise<void> {
    if (this.dest.writableLength === 0 || this.dest.destroyed) {
      return Promise.resolve();
    }
    // 'drain' only comes after a write() that returned false; the callback of an empty write
    // comes after every earlier write has been handed to the OS, whatever their sizes.
    return new Promise((resolve) => {
      const done = (): void => {
        this.dest.off('error', done);
        this.dest.off('close', done);
        resolve();
      };
      this.dest.once('error', done);
      this.dest.once('close', done);
      this.dest.write(EMPTY, done);
    });
  }

  /** Bytes that have left the process so far: a progress measure for waits at exit. */
  get bytesOut(): number {
    return this.written - this.dest.writableLength;
  }

  /** @internal */
  mayWrite(source: MuxSource): boolean {
    return this.owner === undefined || this.owner === source;
  }

  /** @internal */
  write(data: Buffer): void {
    if (this.dest.destroyed) {
      return;
    }
    this.written += data.length;
    noteRelayed(data.length);
    if (!this.dest.write(data) && !this.congested) {
      this.congested = true;
      for (const s of this.sources) {
        s.gate.hold('congested');
      }
    }
  }

  /** @internal */
  setOwner(source: MuxSource, midLine: boolean): void {
    if (midLine) {
      this.owner = source;
      return;
    }
    if (this.owner !== source) {
      return;
    }
    this.owner = undefined;
    while (this.owner === undefined && this.waiting.length > 0) {
      this.waiting.shift()!.wake();
    }
  }

  /** @internal */
  wait(source: MuxSource): void {
    if (!this.waiting.includes(source)) {
      this.waiting.push(source);
    }
  }

  /** @internal */
  ended(source: MuxSource, midLine: boolean): void {
    this.sources.delete(source);
    const i = this.waiting.indexOf(source);
    if (i >= 0) {
      this.waiting.splice(i, 1);
    }
    if (midLine) {
      // A server died in the middle of a line. If another server is still talking, end the broken
      // line here so that the damage stays in that one line instead of spoiling the next message.
      if (this.sources.size > 0) {
        this.write(Buffer.from('\n'));
      }
      this.setOwner(source, false);
    }
  }
}

export class MuxSource {
  readonly gate: PauseGate;
  /** Whole-line mode: a partial line is kept until complete, so that the observer may drop it. */
  holdLines: boolean;
  private discarding = false;
  private readonly assembler = new LineAssembler();
  private stash: Buffer[] = [];
  private midLine = false;
  private head: Buffer = EMPTY;
  private tail: Buffer = EMPTY;
  private ended = false;
  private readonly writer: CoalescingWriter;
  private readonly endCallbacks: (() => void)[] = [];

  constructor(
    private readonly mux: OutputMux,
    readonly stream: Readable,
    private readonly observe: LineObserver,
    holdLines: boolean,
  ) {
    this.holdLines = holdLines;
    this.gate = new PauseGate(stream);
    this.writer = new CoalescingWriter((data) => this.mux.write(data));
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('error', () => this.onEnd());
  }

  /** Calls `fn` once this source's stream has ended and all of it has been handled. */
  onceEnded(fn: () => void): void {
    if (this.ended && this.stash.length === 0) {
      fn();
    } else {
      this.endCallbacks.push(fn);
    }
  }

  /** From the end of the current line on, drop everything this source sends (a retired server). */
  discardRest(): void {
    this.discarding = true;
  }

  /** @internal */
  wake(): void {
    this.gate.release('waiting');
    const stash = this.stash;
    this.stash = [];
    for (let k = 0; k < stash.length; k++) {
      if (!this.mux.mayWrite(this)) {
        this.stash = stash.slice(k).concat(this.stash);
        this.mux.wait(this);
        this.gate.hold('waiting');
        return;
      }
      this.process(stash[k]);
    }
    if (this.ended && this.stash.length === 0) {
      this.finish();
    }
  }

  private onData(chunk: Buffer): void {
    if (this.sendSingleLine(chunk)) {
      return;
    }
    if (this.stash.length > 0 || !this.mux.mayWrite(this)) {
      this.stash.push(chunk);
      this.mux.wait(this);
      this.gate.hold('waiting');
      return;
    }
    this.process(chunk);
  }

  /**
   * A chunk that is exactly one line, while nothing is held or half-sent: observed and written as
   * it is, without the framing loop (the request-reply case, where every step shows in the round
   * trip). False: take the general path.
   */
  private sendSingleLine(chunk: Buffer): boolean {
    const last = chunk.length - 1;
    if (last < 0 || chunk[last] !== LF || this.holdLines || this.discarding || this.midLine || this.stash.length > 0 || this.assembler.pendingBytes > 0 || !this.mux.mayWrite(this) || chunk.indexOf(LF) !== last) {
      return false;
    }
    this.observe(chunk, 0, chunk.length, chunk, 0, chunk.length, true);
    this.mux.write(chunk);
    return true;
  }

  private process(chunk: Buffer): void {
    if (this.discarding && !this.midLine && this.assembler.pendingBytes === 0) {
      return;
    }
    if (this.holdLines || this.assembler.pendingBytes > 0) {
      // Whole-line mode (or leaving it: finish the line it was assembling first).
      this.assembler.push(chunk, (buf, s, e) => this.completeHeld(buf, s, e));
      this.writer.flush();
      return;
    }
    let pos = 0;
    let nl = chunk.indexOf(LF);
    if (this.midLine) {
      // The line that began in an earlier chunk: stream its bytes on, keep its head and tail.
      const upTo = nl < 0 ? chunk.length : nl + 1;
      this.track(chunk, 0, upTo);
      this.writer.add(chunk, 0, upTo);
      if (nl < 0) {
        this.writer.flush();
        return;
      }
      this.midLine = false;
      this.observe(this.head, 0, this.head.length, this.tail, 0, this.tail.length, false);
      pos = nl + 1;
      nl = pos < chunk.length ? chunk.indexOf(LF, pos) : -1;
    }
    while (nl >= 0 && !this.discarding) {
      this.observe(chunk, pos, nl + 1, chunk, pos, nl + 1, true);
      this.writer.add(chunk, pos, nl + 1);
      pos = nl + 1;
      nl = pos < chunk.length ? chunk.indexOf(LF, pos) : -1;
    }
    if (pos < chunk.length && !this.discarding) {
      // A line continues in the next chunk: send what we have now (no store-and-forward of large
      // messages) and become the mux's owner until its '\n' has passed.
      this.midLine = true;
      this.head = EMPTY;
      this.tail = EMPTY;
      this.track(chunk, pos, chunk.length);
      this.writer.add(chunk, pos, chunk.length);
    }
    this.writer.flush();
    this.mux.setOwner(this, this.midLine);
  }

  private completeHeld(buf: Buffer, s: number, e: number): void {
    if (this.discarding) {
      return;
    }
    if (this.observe(buf, s, e, buf, s, e, true)) {
      this.writer.add(buf, s, e);
    }
  }

  /** Keeps copies of the first and last PEEK_BYTES of the line being streamed. */
  private track(chunk: Buffer, s: number, e: number): void {
    if (this.head.length < PEEK_BYTES) {
      const more = chunk.subarray(s, Math.min(e, s + PEEK_BYTES - this.head.length));
      this.head = Buffer.concat([this.head, more]);
    }
    if (e - s >= PEEK_BYTES) {
      this.tail = Buffer.from(chunk.subarray(e - PEEK_BYTES, e));
    } else {
      const joined = Buffer.concat([this.tail, chunk.subarray(s, e)]);
      this.tail = joined.length > PEEK_BYTES ? Buffer.from(joined.subarray(joined.length - PEEK_BYTES)) : joined;
    }
  }

  private onEnd(): void {
    if (this.ended) {
      return;
    }
    this.ended = true;
    if (this.stash.length === 0) {
      this.finish();
    }
  }

  private finish(): void {
    // A last line without '\n' is passed on as it is.
    this.assembler.end((buf, s, e) => this.completeHeld(buf, s, e));
    this.writer.flush();
    const midLine = this.midLine;
    if (midLine) {
      this.observe(this.head, 0, this.head.length, this.tail, 0, this.tail.length, false);
      this.midLine = false;
    }
    this.mux.ended(this, midLine);
    const callbacks = this.endCallbacks.splice(0);
    for (const fn of callbacks) {
      fn();
    }
  }
}
