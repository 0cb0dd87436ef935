// Runs the real server, relays its stdio, and when a tools/call says the server serves the wrong
// thread, swaps it for one that serves the right thread. One server process lives at any time.
//
// The relay: each direction is framed into lines (lineSplitter.ts) and each line classified
// (messageClass.ts: JSON.parse up to a bound, the ends of longer lines); the original bytes go on
// unchanged. The supervisor keeps per server the client requests it owes answers to and its own
// requests to the client not yet answered, and the client's state-setting messages (stateLog.ts).
//
// The swap, on a tools/call for another thread (`--on-mismatch restart`, the default):
//   1. hold: the call and every later client request or notification wait in a bounded queue
//      (answers to the server's own requests and cancellations of what it owes still go through,
//      so it can finish);
//   2. quiesce: the server gets up to `drainTimeoutMs` to answer what it owes;
//   3. stop it as Codex does (close stdin, SIGTERM, SIGKILL, `graceMs` apart) and wait for its
//      exit; a request it never answered gets a JSON-RPC error, so none is left without an answer;
//   4. start the new server with the call's thread, replay the state log in order (`initialize`
//      first, its answer awaited), swallow the answers to the replayed requests;
//   5. deliver the held lines, the call first.
// If the new server cannot start or answer the replay, that is reported on stderr and to the sink,
// every held request gets a JSON-RPC error, and the shim ends with the failed server's status:
// without a server there is nothing left to relay.

import type { Readable, Writable } from 'node:stream';
import type { Correction } from '../core/store/threadContext';
import type { GuardedSink } from './bindingSink';
import { threadOfCall } from './callThread';
import type { OnMismatch } from './cli';
import { LineSplitter, type LineHandler } from './lineSplitter';
import { Server } from './serverConnection';
import { MAX_PARSED_LINE, MAX_READ_MESSAGE, classifyEnds, classifyLine, idFromKey, idKey, type Message } from './messageClass';
import { ServerProcess, spawnFailure, type ServerExit } from './serverProcess';
import { StateLog } from './stateLog';
import type { StderrTail } from './stderrTail';
import type { Report } from './types';

/** At exit, how long the output may stand still before the shim stops waiting for it. */
const OUTPUT_IDLE_MS = 2000;
/** Client lines held during a swap, in bytes; beyond it the client's input is paused. */
const MAX_HELD_BYTES = 8 * 1024 * 1024;
/** JSON-RPC error code for requests the shim answers itself (implementation-defined range). */
const SHIM_ERROR = -32001;

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
  /** How long a replacement server has to answer the replayed requests. */
  startupTimeoutMs: number;
  /** How long a server being replaced may take to answer what it owes. */
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

export class Supervisor {
  private server!: Server;
  private readonly input: LineSplitter;
  private readonly log = new StateLog();
  /** Ids of requests from servers already stopped: the client's late answers to them are dropped. */
  private readonly staleAsked = new Set<string>();
  private readonly held: { bytes: Buffer; message: Message }[] = [];
  private heldBytes = 0;
  private swapping = false;
  /** A SIGTERM/SIGHUP came: a swap in progress must not start a new server. */
  private stopRequested = false;
  private inputEnded = false;
  private serverClosed = false;
  private finishing = false;
  private readonly keptMismatches = new Set<string>();
  private readonly reportedOnce = new Set<string>();
  /** Head of the client's long line in flight, and the server it goes to. */
  private longHead: Buffer | undefined;
  private longTarget: Server | undefined;
  private bytesOut = 0;
  private resolveFinished!: (exit: ServerExit) => void;
  /** Settles with the exit of the server the shim reports, once its output has been relayed. */
  readonly finished: Promise<ServerExit>;

  constructor(private readonly o: SupervisorOptions) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.input = new LineSplitter(this.clientHandler(), MAX_PARSED_LINE);
  }

  /** Starts the first server and the relay. Returns its pid (undefined: it could not start). */
  start(): number | undefined {
    const server = this.spawn(this.o.threadId, this.o.contextFile);
    if (!(server instanceof Server)) {
      this.o.report(server.spawnError!);
      void this.finish(undefined, server);
      return undefined;
    }
    this.server = server;
    if (server.proc.pid === undefined) {
      return undefined; // 'error' follows: onServerExit reports it and finishes
    }
    this.o.input.on('data', (chunk: Buffer) => this.onInput(chunk));
    this.o.input.on('end', () => this.onInputEnd());
    this.o.input.on('error', () => this.onInputEnd());
    // The client closed its end of our stdout: nobody listens any more, so wind down as on EOF.
    this.o.output.on('error', () => this.onInputEnd());
    return server.proc.pid;
  }

  /** Passes a signal to the server; SIGTERM and SIGHUP are followed by SIGKILL after the grace. */
  forwardSignal(sig: NodeJS.Signals): void {
    const proc = this.server?.proc;
    if (proc === undefined || proc.hasExited) {
      return;
    }
    proc.signal(sig);
    if (sig !== 'SIGINT') {
      this.stopRequested = true;
      // Someone asked the shim to stop; a server that ignores it must not outlive the shim.
      setTimeout(() => proc.signal('SIGKILL'), this.o.graceMs).unref();
    }
  }

  // ---- servers --------------------------------------------------------------------------------

  /** A server (its pid is undefined when an 'error' event will report why it did not start). */
  private spawn(threadId: string | undefined, contextFile: string | undefined): Server | ServerExit {
    let proc: ServerProcess;
    try {
      proc = new ServerProcess({
        command: this.o.command,
        args: this.o.args,
        env: serverEnv(this.o.baseEnv, threadId, contextFile),
        stderr: this.o.stderrTail ? 'pipe' : 'inherit',
      });
    } catch (e) {
      return spawnFailure(this.o.command, e as NodeJS.ErrnoException);
    }
    const server = new Server(proc, threadId, {
      output: this.o.output,
      errorOutput: this.o.errorOutput,
      stderrTail: this.o.stderrTail,
      wrote: (n) => (this.bytesOut += n),
      drained: () => this.resumeInput(),
    });
    proc.exited.then((exit) => this.onServerExit(server, exit));
    return server;
  }

  private onServerExit(server: Server, exit: ServerExit): void {
    if (exit.spawnError) {
      this.o.report(exit.spawnError);
    }
    // Its stdin can no longer drain: do not leave the client's input paused on its account.
    this.resumeInput();
    if (server === this.server && !this.swapping) {
      void this.finish(server, exit);
    }
  }

  private async finish(server: Server | undefined, exit: ServerExit, restartFailed = false): Promise<void> {
    if (this.finishing) {
      return;
    }
    this.finishing = true;
    this.o.input.pause();
    if (server !== undefined) {
      // Relay everything the server wrote before it exited, however slowly the client reads. Only
      // a standstill ends the wait early: a grandchild holding the server's stdout open without
      // writing, or a client that stopped reading.
      const relayed = Promise.all([server.outputDone, server.stderrDone]).then(() => whenFlushed(this.o.output));
      await untilIdle(relayed, () => this.bytesOut - this.o.output.writableLength, OUTPUT_IDLE_MS);
    }
    this.o.sink.exited(exit.spawnError !== undefined ? exit.status : exit.code, exit.signal, restartFailed);
    this.resolveFinished(exit);
  }

  // ---- client -> server -----------------------------------------------------------------------

  private onInput(chunk: Buffer): void {
    const stdin = this.server.proc.hasExited ? undefined : this.server.proc.child.stdin!;
    stdin?.cork();
    if (!this.input.push(chunk)) {
      this.o.input.pause();
    }
    if (stdin !== undefined) {
      process.nextTick(() => stdin.uncork());
      if (stdin.writableNeedDrain) {
        this.o.input.pause();
      }
    }
  }

  /** Resumes the client's input once nothing holds it: no refused line, no full pipe. */
  private resumeInput(): void {
    if (this.finishing || !this.input.resume()) {
      return;
    }
    const server = this.server;
    if (server.exit === undefined && server.proc.child.stdin!.writableNeedDrain) {
      return;
    }
    if (this.inputEnded) {
      this.closeServerIfDone();
    } else {
      this.o.input.resume();
    }
  }

  private onInputEnd(): void {
    if (this.inputEnded) {
      return;
    }
    this.inputEnded = true;
    this.input.end();
    this.closeServerIfDone();
  }

  /** After EOF, once every held line has been delivered: stop the server the way Codex would. */
  private closeServerIfDone(): void {
    if (!this.inputEnded || this.swapping || this.input.stalled || this.serverClosed || this.finishing) {
      return;
    }
    this.serverClosed = true;
    void this.server.proc.stop(this.o.graceMs, () => this.bytesOut);
  }

  private clientHandler(): LineHandler {
    return {
      extendBound: (head) => (readsContent(classifyEnds(head)) ? MAX_READ_MESSAGE : 0),
      line: (bytes) => this.clientLine(bytes, classifyLine(bytes)),
      longStart: (head) => this.clientLongStart(head),
      longPiece: (piece) => this.sendToServer(this.longTarget, piece),
      longEnd: (tail) => {
        const m = classifyEnds(this.longHead!, tail);
        const target = this.longTarget;
        this.longHead = undefined;
        this.longTarget = undefined;
        if (target === undefined) {
          return;
        }
        if (m.kind === 'request') {
          target.owed.add(m.id!);
        } else if (m.kind === 'response' && m.id !== undefined) {
          target.asked.delete(m.id);
        }
      },
    };
  }

  /** A client line up to the bound. False: refused for now (held queue full). */
  private clientLine(bytes: Buffer, m: Message): boolean {
    if (this.finishing) {
      return true;
    }
    if (this.swapping || this.held.length > 0) {
      if (this.passesDuringSwap(m)) {
        this.deliver(bytes, m);
        return true;
      }
      if (this.held.length > 0 && this.heldBytes + bytes.length > MAX_HELD_BYTES) {
        return false;
      }
      // A copy: the line may be a slice of a read buffer that should not stay alive with it.
      this.held.push({ bytes: Buffer.from(bytes), message: m });
      this.heldBytes += bytes.length;
      return true;
    }
    const to = this.mismatchOf(m);
    if (to !== undefined) {
      this.held.push({ bytes: Buffer.from(bytes), message: m });
      this.heldBytes += bytes.length;
      void this.swap(to);
      return true;
    }
    this.deliver(bytes, m);
    return true;
  }

  /** What may reach a server while client input is held: what lets a server finish. */
  private passesDuringSwap(m: Message): boolean {
    if (m.kind === 'response') {
      return true;
    }
    return m.kind === 'notification' && m.method === 'notifications/cancelled' && this.server.owed.has(cancelledId(m) ?? '');
  }

  /** The start of a client line longer than the bound: it streams to the server as it comes. */
  private clientLongStart(head: Buffer): boolean {
    if (this.finishing) {
      return true;
    }
    const m = classifyEnds(head);
    if ((this.swapping || this.held.length > 0) && m.kind !== 'response') {
      return false; // waits, with the client's input paused, until the swap is over
    }
    if (m.method === 'tools/call') {
      this.o.sink.call(Date.now());
      this.reportOnce('long-call', `a tools/call longer than ${MAX_READ_MESSAGE} bytes is passed on without checking its thread id`);
    } else if (StateLog.isStateSetting(m)) {
      this.reportOnce('long-state', `a ${m.method} message longer than ${readsContent(m) ? MAX_READ_MESSAGE : MAX_PARSED_LINE} bytes is passed on but cannot be replayed to a replacement server`);
    }
    this.longHead = head;
    this.longTarget = this.server.exit === undefined ? this.server : undefined;
    return true;
  }

  /** The thread a client line needs a swap to, if any (records a 'keep' correction instead). */
  private mismatchOf(m: Message): string | undefined {
    const calls = m.kind === 'batch' ? (m.members ?? []) : [m];
    for (const c of calls) {
      if (c.kind !== 'request' || c.method !== 'tools/call') {
        continue;
      }
      const found = threadOfCall(c.parsed);
      if (found.kind === 'invalid') {
        this.reportOnce('invalid', `ignoring a tools/call thread id that is not a UUID: ${JSON.stringify(found.value)}`);
        continue;
      }
      const from = this.server.threadId;
      if (found.kind === 'none' || found.threadId === from) {
        continue;
      }
      const to = found.threadId;
      if (this.o.onMismatch === 'restart') {
        return to;
      }
      if (!this.keptMismatches.has(to)) {
        this.keptMismatches.add(to);
        this.o.sink.correction(correction(from, to, 'keep'));
        this.o.report(`a tools/call is for thread ${to}, the server runs for ${from ?? 'no thread'}; kept (--on-mismatch keep)`);
      }
    }
    return undefined;
  }

  /** Sends a whole client line to the server it belongs to, keeping the books. */
  private deliver(bytes: Buffer, m: Message): void {
    const server = this.server;
    for (const one of m.kind === 'batch' ? (m.members ?? []) : [m]) {
      if (one.kind === 'request') {
        server.owed.add(one.id!);
        if (one.method === 'tools/call') {
          this.o.sink.call(Date.now());
        }
      } else if (one.kind === 'response' && one.id !== undefined) {
        if (this.staleAsked.delete(one.id)) {
          return; // the answer to a question of a server that is gone
        }
        server.asked.delete(one.id);
      } else if (one.method === 'notifications/cancelled') {
        const id = cancelledId(one);
        if (id !== undefined && server.owed.delete(id)) {
          server.progressed();
        }
      }
      if (m.kind !== 'batch' && (one.kind === 'request' || one.kind === 'notification') && !this.log.note(one, bytes)) {
        this.reportOnce('log-full', `the client's state-setting messages exceed what the shim keeps for a replacement server; ${one.method} will not be replayed`);
      }
    }
    this.sendToServer(server, bytes);
  }

  /** Writes to a server's stdin; a full pipe pauses the client's input until it drains. */
  private sendToServer(server: Server | undefined, bytes: Buffer): void {
    if (server !== undefined && !server.send(bytes)) {
      this.o.input.pause();
    }
  }

  /** The shim's own line to the client (an error answer), never inside a server's line. */
  private toClient(bytes: Buffer): void {
    if (!this.o.output.destroyed) {
      this.bytesOut += bytes.length;
      this.o.output.write(bytes);
    }
  }

  // ---- the swap -------------------------------------------------------------------------------

  private async swap(to: string): Promise<void> {
    this.swapping = true;
    const old = this.server;
    const from = old.threadId;
    this.o.sink.correction(correction(from, to, 'restart'));
    try {
      await this.quiesce(old);
      await this.stop(old);
      if (this.stopRequested) {
        // Codex (or someone) is stopping the shim: end with the server's status, start nothing.
        this.answerHeld(`the shim was stopped before the MCP server could be restarted for Codex thread ${to}`);
        await this.finish(old, old.exit ?? (await old.proc.exited));
        return;
      }
      const failure = await this.startFor(to);
      if (failure !== undefined) {
        await this.failSwap(to, failure);
        return;
      }
    } catch (e) {
      await this.failSwap(to, { why: `internal error: ${(e as Error)?.stack ?? String(e)}` });
      return;
    }
    this.swapping = false;
    this.deliverHeld();
  }

  /** Waits until the server owes nothing, has exited, or the drain time is up. */
  private async quiesce(server: Server): Promise<void> {
    const deadline = Date.now() + this.o.drainTimeoutMs;
    while (server.owed.size > 0 && server.exit === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.o.report(`the server (thread ${server.threadId ?? 'none'}) still owes ${server.owed.size} answer(s) after ${this.o.drainTimeoutMs} ms; stopping it`);
        return;
      }
      await server.progress(left);
    }
  }

  /** Stops a server as Codex does and waits for it to be gone; what it still owes gets errors. */
  private async stop(server: Server): Promise<void> {
    await server.proc.stop(this.o.graceMs);
    // Its last lines are relayed before anything else is said about its requests.
    await Promise.race([server.outputDone, delay(this.o.graceMs)]);
    server.proc.child.stdout?.destroy();
    if (server.midLine) {
      this.toClient(Buffer.from('\n')); // it died inside a line: end that line, not the next one
    }
    for (const id of server.owed) {
      this.answerWithError(id, `the server was stopped before it answered (it was replaced by one for another Codex thread)`);
    }
    server.owed.clear();
    for (const id of server.asked) {
      this.staleAsked.add(id);
    }
  }

  /** Starts the server for `to` and replays the state log to it. Undefined: it runs. */
  private async startFor(to: string): Promise<{ why: string; exit: ServerExit } | undefined> {
    const contextFile = await this.o.sink.contextFileFor(to, 1000);
    const next = this.spawn(to, contextFile);
    if (!(next instanceof Server)) {
      return { why: next.spawnError!, exit: next };
    }
    this.server = next;
    if (next.proc.pid === undefined) {
      const exit = await next.proc.exited;
      return { why: exit.spawnError ?? 'it could not be started', exit };
    }
    this.o.sink.restarted(next.proc.pid, to, contextFile);
    const logPath = this.o.sink.stderrLogPath;
    if (logPath !== undefined) {
      this.o.stderrTail?.moveTo(logPath);
    }
    const why = await this.replay(next);
    if (why === undefined) {
      return undefined;
    }
    if (next.exit === undefined) {
      await this.stop(next);
    }
    return { why, exit: next.exit ?? (await next.proc.exited) };
  }

  /** Replays the state log: `initialize` alone first, then the rest; waits for every answer. */
  private async replay(server: Server): Promise<string | undefined> {
    const deadline = Date.now() + this.o.startupTimeoutMs;
    const waitAnswers = async (): Promise<string | undefined> => {
      while (server.unansweredReplays > 0) {
        if (server.exit !== undefined) {
          return `it exited (status ${server.exit.status}) before answering the replayed ${server.unansweredReplays === 1 ? 'request' : 'requests'}`;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          return `it did not answer the replayed requests within ${this.o.startupTimeoutMs} ms`;
        }
        await server.progress(left);
      }
      return undefined;
    };
    const entries = this.log.replay();
    for (let k = 0; k < entries.length; k++) {
      const { bytes, message } = entries[k];
      if (message.kind === 'request') {
        server.swallowAnswerTo(message.id!);
      }
      this.sendToServer(server, bytes);
      if (k === 0 && message.method === 'initialize') {
        const failed = (await waitAnswers()) ?? (server.swallowedErrors.has(message.id!) ? 'it answered the replayed initialize with an error' : undefined);
        if (failed !== undefined) {
          return failed;
        }
      }
    }
    if (server.exit !== undefined) {
      return `it exited (status ${server.exit.status}) during the replay`;
    }
    return waitAnswers();
  }

  private async failSwap(to: string, failure: { why: string; exit?: ServerExit }): Promise<void> {
    const exit: ServerExit = failure.exit ?? { code: null, signal: null, status: 1 };
    this.o.report(`cannot restart the server for thread ${to}: ${failure.why}; ending (held requests answered with an error)`);
    this.answerHeld(`the MCP server could not be restarted for Codex thread ${to}: ${failure.why}`);
    // A server the shim had to stop reports 1, not the signal the shim sent it.
    const reported: ServerExit = exit.spawnError !== undefined || exit.code !== null ? exit : { ...exit, code: 1, status: 1, signal: null };
    await this.finish(this.server, reported, true);
  }

  /** Every held request gets an error answer; held notifications are dropped. */
  private answerHeld(why: string): void {
    for (const { message } of this.held.splice(0)) {
      for (const one of message.kind === 'batch' ? (message.members ?? []) : [message]) {
        if (one.kind === 'request') {
          this.answerWithError(one.id!, why);
        }
      }
    }
    this.heldBytes = 0;
  }

  private deliverHeld(): void {
    while (this.held.length > 0 && !this.swapping && !this.finishing) {
      const { bytes, message } = this.held.shift()!;
      this.heldBytes -= bytes.length;
      const to = this.mismatchOf(message);
      if (to !== undefined) {
        this.held.unshift({ bytes, message });
        this.heldBytes += bytes.length;
        void this.swap(to);
        return;
      }
      this.deliver(bytes, message);
    }
    if (this.server.exit !== undefined && !this.finishing) {
      void this.finish(this.server, this.server.exit);
      return;
    }
    this.resumeInput();
  }

  private answerWithError(id: string, message: string): void {
    const answer = { jsonrpc: '2.0', id: idFromKey(id), error: { code: SHIM_ERROR, message: `codex-thread-shim: ${message}` } };
    this.toClient(Buffer.from(JSON.stringify(answer) + '\n'));
  }

  private reportOnce(key: string, line: string): void {
    if (!this.reportedOnce.has(key)) {
      this.reportedOnce.add(key);
      this.o.report(line);
    }
  }
}

/** Client messages whose content the supervisor reads: a call's thread, state for the replay. */
function readsContent(m: Message): boolean {
  return (m.kind === 'request' || m.kind === 'notification') && (m.method === 'tools/call' || StateLog.isMcpState(m.method!));
}

function cancelledId(m: Message): string | undefined {
  const params = m.parsed?.params as { requestId?: unknown } | undefined;
  return idKey(params?.requestId);
}

function correction(from: string | undefined, to: string, action: 'restart' | 'keep'): Correction {
  const c: Correction = { at: new Date().toISOString(), to, action };
  if (from !== undefined) {
    c.from = from;
  }
  return c;
}

/** Resolves when everything written so far has left the process (or the destination is gone). */
function whenFlushed(dest: Writable): Promise<void> {
  if (dest.writableLength === 0 || dest.destroyed) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = (): void => {
      dest.off('error', done);
      dest.off('close', done);
      resolve();
    };
    dest.once('error', done);
    dest.once('close', done);
    // The callback of an empty write comes after every earlier write has been handed to the OS.
    dest.write(Buffer.alloc(0), done);
  });
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
