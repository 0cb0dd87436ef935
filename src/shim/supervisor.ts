// Runs the real server and, when a tools/call says the server serves the wrong thread, replaces it.
//
// A "generation" is one server process. Normally there is exactly one. On a mismatch in `restart`
// mode:
//   1. client input is held (stdin paused; the lines already read wait in a short queue);
//   2. a new server starts with the call's thread id; the client's original `initialize` request
//      is replayed to it byte for byte, its reply is swallowed (the client already has one), then
//      the client's `notifications/initialized` is replayed;
//   3. the new server becomes current and gets the held call and everything after it;
//   4. the old server only receives what belongs to requests it already has (cancellations, the
//      client's answers to its own requests) and keeps relaying its answers; once it owes nothing,
//      its output is cut at a line end, and it is stopped like Codex stops servers.
// So each client request is answered once, by the server it was sent to. If the new server
// cannot start or initialize, the old one stays current and the mismatch is recorded as 'keep'.
//
// Request tracking reads only the envelope of each line (messagePeek.ts), both ways, so it costs
// the same for a 10 MB message as for a 100-byte one. A chunk that is exactly one ordinary message
// (the request-reply case, where every microsecond shows in the round trip) takes a shorter path
// with the same checks (sendSingleMessage); a call for the server's own thread is confirmed without
// parsing (callCanOnlyBeFor), and a large one without joining its pieces (piecesCanOnlyBeFor).

import type { Readable, Writable } from 'node:stream';
import type { Correction } from '../core/store/threadContext';
import type { GuardedSink } from './bindingSink';
import { callCanOnlyBeFor, piecesCanOnlyBeFor, threadOfCallLine, threadOfCallMessage } from './callInspector';
import type { OnMismatch } from './cli';
import { noteRelayed } from './gcNudge';
import { idKeyOf, peekLine, peekParts, type Peek } from './messagePeek';
import { CoalescingWriter, LineAssembler, OutputMux, PauseGate, headAndTail, type MuxSource } from './relay';
import { ServerProcess, spawnFailure, type ServerExit } from './serverProcess';
import type { StderrTail } from './stderrTail';
import type { Report } from './types';

const LF = 0x0a;
/** Lines this long or shorter may be JSON.parse'd when the envelope peek is not enough. */
const PARSE_FALLBACK_LIMIT = 1024 * 1024;
/** At exit, how long the output may stand still before the shim stops waiting for it. */
const OUTPUT_IDLE_MS = 2000;
/** Client messages whose content (not only their envelope) the supervisor reads. */
const CONTENT_METHODS = new Set(['tools/call', 'initialize', 'notifications/initialized', 'notifications/cancelled']);

export interface SupervisorOptions {
  command: string;
  args: readonly string[];
  /** The shim's own environment; the thread variables are added to a copy of it. */
  baseEnv: NodeJS.ProcessEnv;
  threadId?: string;
  contextFile?: string;
  onMismatch: OnMismatch;
  sink: GuardedSink;
  report: Report;
  input: Readable;
  output: Writable;
  errorOutput: Writable;
  stderrTail?: StderrTail;
  /** Between closing a server's stdin, SIGTERM and SIGKILL. */
  graceMs: number;
  /** How long a replacement server has to answer the replayed initialize. */
  startupTimeoutMs: number;
  /** How long a replaced server may take to answer what it owes before it is stopped anyway. */
  drainTimeoutMs: number;
}

/** The environment of a server bound to `threadId` (or the base environment when there is none). */
export function serverEnv(base: NodeJS.ProcessEnv, threadId?: string, contextFile?: string): NodeJS.ProcessEnv {
  if (threadId === undefined) {
    return base;
  }
  const env: NodeJS.ProcessEnv = { ...base, CODEX_THREAD_ID: threadId, CODEX_SESSION_ID: threadId };
  if (contextFile !== undefined) {
    env.CODEX_THREAD_CONTEXT = contextFile;
  } else {
    // A value inherited from elsewhere would name another thread's file.
    delete env.CODEX_THREAD_CONTEXT;
  }
  return env;
}

type GenState = 'replaying' | 'current' | 'draining' | 'retired' | 'failed';

class Generation {
  state: GenState;
  /** Client requests sent to this server and not yet answered (normalised ids). */
  readonly owed = new Set<string>();
  /** This server's own requests to the client, not yet answered. */
  readonly asked = new Set<string>();
  source: MuxSource | undefined;
  writer: CoalescingWriter | undefined;
  /** Writes to the server's stdin, holding the client's input while the server's pipe is full. */
  send: ((data: Buffer) => void) | undefined;
  exit: ServerExit | undefined;
  /** Id of the replayed initialize, whose reply the client must not see. */
  swallowId: string | undefined;
  initialized: ((ok: boolean) => void) | undefined;
  outputDone: Promise<void> = Promise.resolve();
  stderrDone: Promise<void> = Promise.resolve();
  drainTimer: NodeJS.Timeout | undefined;
  /** The thread id as bytes, for the per-call check's fast path. */
  readonly threadIdBytes: Buffer | undefined;

  constructor(
    readonly n: number,
    readonly proc: ServerProcess | undefined,
    readonly threadId: string | undefined,
    readonly contextFile: string | undefined,
    state: GenState,
  ) {
    this.state = state;
    this.threadIdBytes = threadId !== undefined ? Buffer.from(threadId, 'latin1') : undefined;
  }

  get alive(): boolean {
    return this.proc !== undefined && this.exit === undefined;
  }
}

interface QueuedLine {
  buf: Buffer;
  start: number;
  end: number;
}

export class Supervisor {
  private readonly mux: OutputMux;
  private readonly inputGate: PauseGate;
  private readonly assembler = new LineAssembler();
  private readonly generations = new Set<Generation>();
  private current!: Generation;
  private count = 0;
  private restarting = false;
  private readonly queue: QueuedLine[] = [];
  private inputEnded = false;
  private serversClosed = false;
  private finishing = false;
  private initLine: Buffer | undefined;
  private initId: string | undefined;
  private initializedLine: Buffer | undefined;
  private readonly failedRestarts = new Set<string>();
  private readonly keptMismatches = new Set<string>();
  private invalidReported = false;
  private resolveFinished!: (exit: ServerExit) => void;
  /** Settles with the exit of the server the shim reports, once its output has been relayed. */
  readonly finished: Promise<ServerExit>;

  constructor(private readonly o: SupervisorOptions) {
    this.mux = new OutputMux(o.output);
    this.inputGate = new PauseGate(o.input);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  /** Starts the first server and the relay. Returns its pid (undefined: it could not start). */
  start(): number | undefined {
    const gen = this.spawn(this.o.threadId, this.o.contextFile, false);
    this.current = gen;
    if (gen.proc === undefined) {
      // spawn() itself threw; a failure reported through 'error' ends up in onServerExit instead.
      this.o.report(gen.exit!.spawnError!);
      void this.finish(gen);
    }
    if (!gen.alive) {
      return undefined;
    }
    this.o.input.on('data', (chunk: Buffer) => this.onInput(chunk));
    this.o.input.on('end', () => this.onInputEnd());
    this.o.input.on('error', () => this.onInputEnd());
    // The client closed its end of our stdout: nobody listens any more, so wind down as on EOF.
    this.o.output.on('error', () => this.onInputEnd());
    return gen.proc!.pid;
  }

  /** Passes a signal to every running server; SIGTERM and SIGHUP are followed by SIGKILL. */
  forwardSignal(sig: NodeJS.Signals): void {
    for (const g of this.generations) {
      if (!g.alive) {
        continue;
      }
      g.proc!.signal(sig);
      if (sig !== 'SIGINT') {
        // Someone asked the shim to stop; a server that ignores it must not outlive the shim.
        setTimeout(() => g.proc!.signal('SIGKILL'), this.o.graceMs).unref();
      }
    }
  }

  // ---- servers --------------------------------------------------------------------------------

  private spawn(threadId: string | undefined, contextFile: string | undefined, replay: boolean): Generation {
    const n = ++this.count;
    let proc: ServerProcess;
    try {
      proc = new ServerProcess({
        command: this.o.command,
        args: this.o.args,
        env: serverEnv(this.o.baseEnv, threadId, contextFile),
        stderr: this.o.stderrTail ? 'pipe' : 'inherit',
      });
    } catch (e) {
      const gen = new Generation(n, undefined, threadId, contextFile, 'failed');
      gen.exit = spawnFailure(this.o.command, e as NodeJS.ErrnoException);
      return gen;
    }
    const gen = new Generation(n, proc, threadId, contextFile, replay ? 'replaying' : 'current');
    this.generations.add(gen);
    proc.exited.then((exit) => this.onServerExit(gen, exit));
    if (proc.pid === undefined) {
      return gen; // 'error' follows and settles `exited` with 127/126
    }
    const child = proc.child;
    let awaitingDrain = false; // one 'drain' listener per congestion, however many writes
    gen.send = (data: Buffer): void => {
      noteRelayed(data.length);
      if (!child.stdin!.write(data) && !awaitingDrain) {
        awaitingDrain = true;
        this.inputGate.hold(`server-${n}`);
        child.stdin!.once('drain', () => {
          awaitingDrain = false;
          this.inputGate.release(`server-${n}`);
        });
      }
    };
    gen.writer = new CoalescingWriter(gen.send);
    gen.source = this.mux.addSource(child.stdout!, (h, hs, he, t, ts, te, whole) => this.onServerLine(gen, h, hs, he, t, ts, te, whole), replay);
    gen.outputDone = new Promise((resolve) => gen.source!.onceEnded(resolve));
    if (child.stderr) {
      gen.stderrDone = this.relayStderr(child.stderr);
    }
    return gen;
  }

  private relayStderr(stderr: Readable): Promise<void> {
    const gate = new PauseGate(stderr);
    const out = this.o.errorOutput;
    let awaitingDrain = false;
    stderr.on('data', (chunk: Buffer) => {
      this.o.stderrTail?.write(chunk);
      if (!out.write(chunk) && !awaitingDrain) {
        awaitingDrain = true;
        gate.hold('stderr');
        out.once('drain', () => {
          awaitingDrain = false;
          gate.release('stderr');
        });
      }
    });
    return new Promise((resolve) => {
      stderr.once('end', resolve);
      stderr.once('error', () => resolve());
      stderr.once('close', resolve);
    });
  }

  private onServerExit(gen: Generation, exit: ServerExit): void {
    gen.exit = exit;
    if (exit.spawnError) {
      this.o.report(exit.spawnError);
    }
    // Its stdin can no longer drain: do not leave the client's input paused on its account.
    this.inputGate.release(`server-${gen.n}`);
    clearTimeout(gen.drainTimer);
    gen.initialized?.(false);
    if (gen === this.current && !this.restarting) {
      void this.finish(gen);
      return;
    }
    if (gen.state === 'draining' && gen.owed.size > 0 && gen !== this.current) {
      this.o.report(`the replaced server (thread ${gen.threadId ?? 'none'}) exited with ${gen.owed.size} request(s) unanswered`);
    }
    if (gen !== this.current) {
      gen.state = 'retired';
      this.generations.delete(gen);
    }
  }

  private async finish(gen: Generation): Promise<void> {
    if (this.finishing) {
      return;
    }
    this.finishing = true;
    this.inputGate.hold('finished');
    const exit = gen.exit!;
    // Relay everything the server wrote before it exited, however slowly the client reads. Only a
    // standstill ends the wait early: a grandchild holding the server's stdout open without
    // writing, or a client that stopped reading.
    const relayed = Promise.all([gen.outputDone, gen.stderrDone]).then(() => this.mux.whenFlushed());
    await untilIdle(relayed, () => this.mux.bytesOut, OUTPUT_IDLE_MS);
    // Any other server (one being replaced, or a replacement) must not outlive the shim: the
    // shim's timers die with it, so wait for them here and SIGKILL what is left.
    const others = [...this.generations].filter((g) => g !== gen && g.alive);
    if (others.length > 0) {
      for (const g of others) {
        g.proc!.terminate(this.o.graceMs);
      }
      await Promise.race([Promise.all(others.map((g) => g.proc!.exited)), delay(this.o.graceMs)]);
      for (const g of others) {
        g.proc!.signal('SIGKILL');
      }
    }
    this.o.sink.exited(exit.spawnError !== undefined ? exit.status : exit.code, exit.signal);
    this.resolveFinished(exit);
  }

  // ---- client -> server ---------------------------------------------------------------------

  private onInput(chunk: Buffer): void {
    if (this.sendSingleMessage(chunk)) {
      return;
    }
    // A line cut by the chunk boundary leaves as its pieces, the rest of the chunk as one slice:
    // corked, they go out in one writev instead of a write each. (A chunk that ends no earlier
    // line, the usual case for single requests, is one write anyway.)
    const stdin = this.assembler.pendingBytes > 0 ? this.current.proc?.child.stdin : undefined;
    stdin?.cork();
    this.assembler.push(chunk, this.routeLine, this.routePieces);
    this.flushWriters();
    stdin?.uncork();
  }

  /**
   * The request-reply case: a chunk that is exactly one ordinary message, while one server runs
   * and nothing waits. Each such message costs the round trip whatever the shim does for it
   * (measured: a few microseconds of work in a relay add two to three times that per call on two
   * cores), so it goes straight to the server after the same checks dispatch() makes, without the
   * line assembly and coalescing that multi-line chunks need. False: take the general path.
   */
  private sendSingleMessage(chunk: Buffer): boolean {
    const last = chunk.length - 1;
    if (last < 0 || chunk[last] !== LF || chunk.indexOf(LF) !== last || this.assembler.pendingBytes > 0 || this.restarting || this.queue.length > 0 || this.finishing || this.generations.size !== 1) {
      return false;
    }
    const gen = this.current;
    if (gen.send === undefined) {
      return false;
    }
    const p = peekLine(chunk, 0, chunk.length);
    if (!p.object) {
      return false;
    }
    if (p.method !== undefined) {
      if (p.id !== undefined) {
        if (p.method === 'tools/call') {
          if (gen.threadIdBytes === undefined || !callCanOnlyBeFor(chunk, 0, chunk.length, gen.threadIdBytes)) {
            return false;
          }
          this.o.sink.call(Date.now());
        } else if (CONTENT_METHODS.has(p.method)) {
          return false;
        }
        gen.owed.add(p.id);
      } else if (CONTENT_METHODS.has(p.method)) {
        return false;
      }
    } else if (p.id !== undefined && (p.body === 'result' || p.body === 'error')) {
      gen.asked.delete(p.id);
    } else {
      return false;
    }
    gen.send(chunk);
    return true;
  }

  private readonly routeLine = (buf: Buffer, start: number, end: number): void => this.route(buf, start, end);
  private readonly routePieces = (pieces: Buffer[], length: number): void => this.routeLong(pieces, length);

  private onInputEnd(): void {
    if (this.inputEnded) {
      return;
    }
    this.inputEnded = true;
    this.assembler.end(this.routeLine, this.routePieces);
    this.flushWriters();
    this.closeServersIfDone();
  }

  /** After EOF, once every line has been delivered: stop the servers the way Codex would. */
  private closeServersIfDone(): void {
    if (!this.inputEnded || this.restarting || this.queue.length > 0 || this.serversClosed) {
      return;
    }
    this.serversClosed = true;
    for (const g of this.generations) {
      g.writer?.flush();
      g.proc?.stop(this.o.graceMs, () => this.mux.bytesOut);
    }
  }

  private route(buf: Buffer, start: number, end: number): void {
    if (this.finishing) {
      return;
    }
    if (this.restarting || this.queue.length > 0) {
      this.queue.push({ buf, start, end });
      return;
    }
    this.dispatch(buf, start, end);
  }

  /**
   * A client line that came in several chunks. Most such lines need only their envelope, so they
   * go out as the pieces they came in, never joined into one more copy; a line whose content
   * matters (a tools/call, the handshake, a cancellation, a batch) or that must wait for a restart
   * is joined and takes the normal path.
   */
  private routeLong(pieces: Buffer[], length: number): void {
    if (this.finishing) {
      return;
    }
    if (!this.restarting && this.queue.length === 0) {
      const { head, tail } = headAndTail(pieces);
      const p = peekParts(head, 0, head.length, tail, 0, tail.length, false);
      let target: Generation | undefined;
      if (p.object && p.method !== undefined && !CONTENT_METHODS.has(p.method)) {
        target = this.current;
        if (p.id !== undefined) {
          target.owed.add(p.id);
        }
      } else if (p.object && p.method === undefined && p.id !== undefined && (p.body === 'result' || p.body === 'error')) {
        target = this.answerTarget(p.id);
      } else if (p.object && p.method === 'tools/call' && p.id !== undefined && this.current.threadIdBytes !== undefined && piecesCanOnlyBeFor(pieces, this.current.threadIdBytes)) {
        // A large call for the server's own thread: checked in place, never joined into a copy.
        target = this.current;
        this.o.sink.call(Date.now());
        target.owed.add(p.id);
      }
      if (target !== undefined) {
        for (const piece of pieces) {
          target.writer?.add(piece, 0, piece.length);
        }
        if (target !== this.current) {
          this.retireIfDone(target);
        }
        return;
      }
    }
    const line = Buffer.concat(pieces, length);
    this.route(line, 0, line.length);
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && !this.restarting && !this.finishing) {
      const { buf, start, end } = this.queue.shift()!;
      this.dispatch(buf, start, end);
    }
    this.flushWriters();
    if (!this.restarting) {
      this.inputGate.release('restart');
      this.closeServersIfDone();
    }
  }

  /** Sends one client line to the server it belongs to. */
  private dispatch(buf: Buffer, start: number, end: number): void {
    const p = peekLine(buf, start, end);
    let target = this.current;
    if (!p.object) {
      if (this.handleBatch(buf, start, end)) {
        return;
      }
    } else if (p.method !== undefined) {
      if (p.id !== undefined) {
        if (p.method === 'tools/call') {
          const expected = this.current.threadIdBytes;
          const same = expected !== undefined && callCanOnlyBeFor(buf, start, end, expected);
          if (!same && this.mismatch(threadOfCallLine(buf, start, end), buf, start, end)) {
            return; // held; counted when it is delivered
          }
          this.o.sink.call(Date.now());
        } else if (p.method === 'initialize' && this.initLine === undefined) {
          this.initLine = Buffer.from(buf.subarray(start, end));
          this.initId = p.id;
        }
        target.owed.add(p.id);
      } else if (p.method === 'notifications/initialized' && this.initializedLine === undefined) {
        this.initializedLine = Buffer.from(buf.subarray(start, end));
      } else if (p.method === 'notifications/cancelled') {
        target = this.cancelTarget(buf, start, end);
      }
    } else {
      const id = p.id ?? this.fallbackId(p, buf, start, end);
      if (id !== undefined) {
        target = this.answerTarget(id);
      }
    }
    target.writer?.add(buf, start, end);
    if (target !== this.current) {
      this.retireIfDone(target);
    }
  }

  /** JSON-RPC batches (allowed before MCP 2025-06-18): parsed whole, they are rare and small. */
  private handleBatch(buf: Buffer, start: number, end: number): boolean {
    let i = start;
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) {
      i++;
    }
    if (buf[i] !== 0x5b || end - start > PARSE_FALLBACK_LIMIT) {
      return false;
    }
    let batch: unknown;
    try {
      batch = JSON.parse(buf.toString('utf8', start, end));
    } catch {
      return false;
    }
    if (!Array.isArray(batch)) {
      return false;
    }
    const requests = (batch as Record<string, unknown>[]).filter(
      (m) => m !== null && typeof m === 'object' && typeof m.method === 'string' && idKeyOf(m.id) !== undefined,
    );
    // The first call for another thread decides for the whole batch: it travels as one line.
    const call = requests.find((m) => m.method === 'tools/call' && threadOfCallMessage(m).kind !== 'none');
    if (call !== undefined && this.mismatch(threadOfCallMessage(call), buf, start, end)) {
      return true;
    }
    for (const m of requests) {
      if (m.method === 'tools/call') {
        this.o.sink.call(Date.now());
      }
      this.current.owed.add(idKeyOf(m.id)!);
    }
    return false;
  }

  /** True when the line was held for a restart. */
  private mismatch(found: ReturnType<typeof threadOfCallLine>, buf: Buffer, start: number, end: number): boolean {
    if (found.kind === 'invalid') {
      if (!this.invalidReported) {
        this.invalidReported = true;
        this.o.report(`ignoring a tools/call thread id that is not a UUID: ${JSON.stringify(found.value)}`);
      }
      return false;
    }
    if (found.kind === 'none') {
      return false;
    }
    const to = found.threadId;
    const from = this.current.threadId;
    if (to === from) {
      return false;
    }
    if (this.o.onMismatch === 'keep' || this.failedRestarts.has(to)) {
      if (!this.keptMismatches.has(to)) {
        this.keptMismatches.add(to);
        this.o.sink.correction(correction(from, to, 'keep'));
        if (this.o.onMismatch === 'keep') {
          this.o.report(`a tools/call is for thread ${to}, the server runs for ${from ?? 'no thread'}; kept (--on-mismatch keep)`);
        }
      }
      return false;
    }
    this.queue.unshift({ buf, start, end });
    this.restart(to).catch((e: unknown) => {
      // A bug must not leave the client's input held forever: report it, carry on as 'keep'.
      this.o.report(`internal error while restarting for thread ${to}: ${(e as Error)?.stack ?? String(e)}`);
      this.failedRestarts.add(to);
      this.keptMismatches.add(to);
      this.restarting = false;
      this.drainQueue();
    });
    return true;
  }

  /** A cancellation goes to the server that has the request. */
  private cancelTarget(buf: Buffer, start: number, end: number): Generation {
    let id: string | undefined;
    try {
      const m = JSON.parse(buf.toString('utf8', start, end)) as { params?: { requestId?: unknown } };
      id = idKeyOf(m.params?.requestId);
    } catch {
      return this.current;
    }
    if (id === undefined) {
      return this.current;
    }
    for (const g of this.generations) {
      if (g.owed.delete(id)) {
        return g;
      }
    }
    return this.current;
  }

  /** The client's answer to a server's request goes to the server that asked. */
  private answerTarget(id: string): Generation {
    if (this.current.asked.delete(id)) {
      return this.current;
    }
    for (const g of this.generations) {
      if (g.asked.delete(id)) {
        return g;
      }
    }
    return this.current;
  }

  private fallbackId(p: Peek, buf: Buffer, start: number, end: number): string | undefined {
    if (!p.object || p.complete || end - start > PARSE_FALLBACK_LIMIT) {
      return undefined;
    }
    try {
      return idKeyOf((JSON.parse(buf.toString('utf8', start, end)) as { id?: unknown }).id);
    } catch {
      return undefined;
    }
  }

  private flushWriters(): void {
    for (const g of this.generations) {
      g.writer?.flush();
    }
  }

  // ---- server -> client ---------------------------------------------------------------------

  /** Sees every complete line a server writes; false drops it (only the swallowed initialize reply). */
  private onServerLine(gen: Generation, h: Buffer, hs: number, he: number, t: Buffer, ts: number, te: number, whole: boolean): boolean {
    const p = peekParts(h, hs, he, t, ts, te, whole);
    if (p.method !== undefined) {
      if (p.id !== undefined) {
        gen.asked.add(p.id);
      }
      return true;
    }
    const id = p.id ?? (whole ? this.fallbackId(p, h, hs, he) : undefined);
    if (id === undefined) {
      return true;
    }
    if (gen.swallowId !== undefined && id === gen.swallowId) {
      gen.swallowId = undefined;
      gen.source!.holdLines = false;
      gen.initialized?.(p.body !== 'error');
      return false;
    }
    if (gen.owed.delete(id) && gen.state === 'draining' && gen.owed.size === 0) {
      // Let this last answer out first; retire at the end of the current turn of the loop.
      queueMicrotask(() => this.retireIfDone(gen));
    }
    return true;
  }

  // ---- restart ------------------------------------------------------------------------------

  private async restart(to: string): Promise<void> {
    this.restarting = true;
    this.inputGate.hold('restart');
    const old = this.current;
    const from = old.threadId;
    const contextFile = await this.o.sink.contextFileFor(to, 1000);
    const gen = this.spawn(to, contextFile, this.initLine !== undefined);
    let failure: string | undefined;
    if (!gen.alive) {
      failure = gen.exit?.spawnError ?? 'it could not be started';
    } else if (this.initLine !== undefined) {
      gen.swallowId = this.initId;
      const answered = new Promise<boolean>((resolve) => (gen.initialized = resolve));
      gen.writer!.add(this.initLine, 0, this.initLine.length);
      gen.writer!.flush();
      const timer = setTimeout(() => gen.initialized?.(false), this.o.startupTimeoutMs);
      const ok = await answered;
      clearTimeout(timer);
      gen.initialized = undefined;
      if (!ok) {
        failure = gen.exit
          ? `it exited (status ${gen.exit.status}) before answering initialize`
          : 'it did not answer initialize';
      } else if (this.initializedLine !== undefined) {
        gen.writer!.add(this.initializedLine, 0, this.initializedLine.length);
        gen.writer!.flush();
      }
    }

    if (failure !== undefined || this.finishing) {
      this.failedRestarts.add(to);
      this.keptMismatches.add(to);
      if (gen.alive) {
        gen.source?.discardRest();
        gen.proc!.terminate(this.o.graceMs);
      }
      gen.state = 'failed';
      this.o.report(`cannot restart the server for thread ${to}: ${failure ?? 'shutting down'}; it keeps serving ${from ?? 'no thread'}`);
      this.o.sink.correction(correction(from, to, 'keep'));
      old.state = 'current';
      this.restarting = false;
      if (old.exit !== undefined) {
        void this.finish(old);
        return;
      }
    } else {
      gen.state = 'current';
      old.state = 'draining';
      this.current = gen;
      this.restarting = false;
      this.o.sink.correction(correction(from, to, 'restart'));
      this.o.sink.restarted(gen.proc!.pid!, to, contextFile);
      const logPath = this.o.sink.stderrLogPath;
      if (logPath !== undefined) {
        this.o.stderrTail?.moveTo(logPath);
      }
      if (old.exit !== undefined) {
        this.generations.delete(old);
      } else {
        this.retireIfDone(old);
        if (old.state === 'draining') {
          old.drainTimer = setTimeout(() => {
            this.o.report(`the replaced server (thread ${from ?? 'none'}) still owes ${old.owed.size} answer(s) after ${this.o.drainTimeoutMs} ms; stopping it`);
            old.owed.clear();
            this.retireIfDone(old);
          }, this.o.drainTimeoutMs);
        }
      }
    }
    this.drainQueue();
  }

  /** A replaced server that owes nothing more: cut its output at a line end and stop it. */
  private retireIfDone(gen: Generation): void {
    if (gen === this.current || gen.state !== 'draining' || gen.owed.size > 0) {
      return;
    }
    gen.state = 'retired';
    clearTimeout(gen.drainTimer);
    gen.source?.discardRest();
    gen.writer?.flush();
    gen.proc?.stop(this.o.graceMs);
  }
}

function correction(from: string | undefined, to: string, action: 'restart' | 'keep'): Correction {
  const c: Correction = { at: new Date().toISOString(), to, action };
  if (from !== undefined) {
    c.from = from;
  }
  return c;
}

/** Waits for `done`, but gives up once `progress()` has not moved for `idleMs`. */
async function untilIdle(done: Promise<unknown>, progress: () => number, idleMs: number): Promise<void> {
  let settled = false;
  const mark = (): void => {
    settled = true;
  };
  done.then(mark, mark);
  let last = progress();
  while (!settled) {
    await Promise.race([done.catch(() => undefined), delay(idleMs)]);
    const now = progress();
    if (!settled && now === last) {
      return;
    }
    last = now;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
