// One server process as the supervisor sees it: the bytes to and from it, and the books on its
// conversation. Its stdout is framed and classified line by line and relayed to the client as the
// original bytes (with back-pressure), except the answers to replayed requests, which the client
// already had from the server before. Its stderr is relayed as it comes, and kept in the tail file.

import type { Readable, Writable } from 'node:stream';
import { LineSplitter, type LineHandler } from './lineSplitter';
import { MAX_PARSED_LINE, classifyEnds, classifyLine, type Message } from './messageClass';
import type { ServerExit, ServerProcess } from './serverProcess';
import type { StderrTail } from './stderrTail';

export interface ServerIo {
  /** The client (the shim's stdout). */
  output: Writable;
  /** The shim's stderr. */
  errorOutput: Writable;
  stderrTail?: StderrTail;
  /** Counts bytes relayed to the client. */
  wrote(bytes: number): void;
  /** The server's stdin has room again. */
  drained(): void;
}

export class Server {
  /** Client requests sent to it, not answered yet (normalised ids, see messageClass.idKey). */
  readonly owed = new Set<string>();
  /** Its requests to the client, not answered yet. */
  readonly asked = new Set<string>();
  /** Replayed requests whose answers the client must not see (id -> how many). */
  private readonly swallow = new Map<string, number>();
  /** Swallowed answers that were errors. */
  readonly swallowedErrors = new Set<string>();
  exit: ServerExit | undefined;
  /** Settles once its stdout has ended and every line of it has been handled. */
  readonly outputDone: Promise<void>;
  readonly stderrDone: Promise<void>;
  private readonly output: LineSplitter;
  private onProgress: (() => void) | undefined;

  constructor(
    readonly proc: ServerProcess,
    readonly threadId: string | undefined,
    private readonly io: ServerIo,
  ) {
    const child = proc.child;
    child.stdin?.on('drain', () => io.drained());
    this.output = new LineSplitter(this.lineHandler(), MAX_PARSED_LINE);
    this.outputDone = child.stdout ? this.relayStdout(child.stdout) : Promise.resolve();
    this.stderrDone = child.stderr ? this.relayStderr(child.stderr) : Promise.resolve();
    proc.exited.then((exit) => {
      this.exit = exit;
      this.progressed();
    });
  }

  /** Writes to its stdin. False: the pipe is full (resume on `drained`). Nothing once it is gone. */
  send(bytes: Buffer): boolean {
    const stdin = this.proc.child.stdin;
    if (this.exit !== undefined || stdin == null || !stdin.writable) {
      return true;
    }
    return stdin.write(bytes);
  }

  /** The answer to this replayed request is not for the client. */
  swallowAnswerTo(id: string): void {
    this.swallow.set(id, (this.swallow.get(id) ?? 0) + 1);
  }

  /** Replayed requests not answered yet. */
  get unansweredReplays(): number {
    return this.swallow.size;
  }

  /** True while a line of its output is only partly through (it died inside a line). */
  get midLine(): boolean {
    return this.output.midLong;
  }

  /** Resolves on its next progress (an answer owed or replayed, a cancellation, its exit) or after `ms`. */
  progress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.onProgress = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.onProgress = done;
    });
  }

  /** Something the supervisor may be waiting for happened (e.g. a cancellation made it owe less). */
  progressed(): void {
    this.onProgress?.();
  }

  private relayStdout(stdout: Readable): Promise<void> {
    const out = this.io.output;
    stdout.on('data', (chunk: Buffer) => {
      // The lines of one read leave in one write (writev) instead of one each.
      out.cork();
      this.output.push(chunk);
      process.nextTick(() => out.uncork());
      if (out.writableNeedDrain) {
        stdout.pause();
        out.once('drain', () => stdout.resume());
      }
    });
    return new Promise((resolve) => {
      const done = (): void => {
        this.output.end();
        resolve();
      };
      stdout.once('end', done);
      stdout.once('error', done);
    });
  }

  private relayStderr(stderr: Readable): Promise<void> {
    const out = this.io.errorOutput;
    stderr.on('data', (chunk: Buffer) => {
      this.io.stderrTail?.write(chunk);
      if (!out.write(chunk)) {
        stderr.pause();
        out.once('drain', () => stderr.resume());
      }
    });
    return new Promise((resolve) => {
      stderr.once('end', resolve);
      stderr.once('error', () => resolve());
      stderr.once('close', resolve);
    });
  }

  private toClient(bytes: Buffer): void {
    if (!this.io.output.destroyed) {
      this.io.wrote(bytes.length);
      this.io.output.write(bytes);
    }
  }

  private lineHandler(): LineHandler {
    let head: Buffer | undefined;
    let dropping = false;
    return {
      line: (bytes) => {
        if (this.books(classifyLine(bytes))) {
          this.toClient(bytes);
        }
        return true;
      },
      longStart: (first) => {
        head = first;
        // During a replay only the answers to replayed requests are responses, and they are dropped.
        dropping = this.swallow.size > 0 && classifyEnds(head).kind === 'response';
        return true;
      },
      longPiece: (piece) => {
        if (!dropping) {
          this.toClient(piece);
        }
      },
      longEnd: (tail) => {
        this.books(classifyEnds(head!, tail));
        head = undefined;
      },
    };
  }

  /** Keeps the books on one of its lines. False: the client must not see it. */
  private books(m: Message): boolean {
    for (const one of m.kind === 'batch' ? (m.members ?? []) : [m]) {
      if (one.kind === 'request') {
        this.asked.add(one.id!);
      } else if (one.kind === 'response' && one.id !== undefined) {
        const replays = this.swallow.get(one.id);
        if (replays !== undefined) {
          if (replays > 1) {
            this.swallow.set(one.id, replays - 1);
          } else {
            this.swallow.delete(one.id);
          }
          if (one.isError) {
            this.swallowedErrors.add(one.id);
          }
          this.progressed();
          return false;
        }
        if (this.owed.delete(one.id)) {
          this.progressed();
        }
      }
    }
    return true;
  }
}
