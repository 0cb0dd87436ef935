// runShim in-process, with injected resolvers and sinks (the seams main.ts wires): what the sink
// is told and when, "fail open" when either misbehaves, and the stderr tail file. The servers are
// real processes.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Correction } from '../../../src/core/store/threadContext';
import { NoopSink } from '../../../src/shim/bindingSink';
import { runShim } from '../../../src/shim/run';
import type { BindingSink, BindingStart, ResolveResult, ThreadResolver } from '../../../src/shim/types';
import { THREAD_A, THREAD_B, cleanEnv, cleanupAll, fixture, initializeRequest, initializedNotification, serverRecords, tempDir, toolsCall } from './helpers';

const node = process.execPath;
/** A resolver that found THREAD_A in the environment, as the real one's first step would. */
const resolvedFromEnv: ThreadResolver = async () => ({ threadId: THREAD_A, resolvedBy: 'env' });

class RecordingSink implements BindingSink {
  readonly events: [string, ...unknown[]][] = [];
  calls = 0;
  constructor(
    readonly stderrLogPath: string | undefined,
    private readonly contextDir?: string,
  ) {}
  starting(info: BindingStart): void {
    this.events.push(['starting', info]);
  }
  running(serverPid: number): void {
    this.events.push(['running', serverPid]);
  }
  call(atMs: number): void {
    assert.ok(Math.abs(Date.now() - atMs) < 5000);
    this.calls++;
  }
  correction(c: Correction): void {
    this.events.push(['correction', c]);
  }
  restarted(serverPid: number, threadId: string, contextFile?: string): void {
    this.events.push(['restarted', serverPid, threadId, contextFile]);
  }
  exited(code: number | null, signal: string | null): void {
    this.events.push(['exited', code, signal]);
  }
  contextFileFor(threadId: string): string | undefined {
    return this.contextDir ? path.join(this.contextDir, `${threadId}.json`) : undefined;
  }
  async flush(): Promise<void> {
    this.events.push(['flush']);
  }
}

/** A client on PassThrough streams: sends lines, waits for responses by id. */
class Harness {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly messages: Record<string, unknown>[] = [];
  errText = '';
  private partial = '';
  private readonly waiters: (() => void)[] = [];

  constructor() {
    this.stdout.setEncoding('utf8');
    this.stdout.on('data', (s: string) => {
      const lines = (this.partial + s).split('\n');
      this.partial = lines.pop()!;
      for (const l of lines) {
        this.messages.push(JSON.parse(l) as Record<string, unknown>);
      }
      this.waiters.splice(0).forEach((w) => w());
    });
    this.stderr.setEncoding('utf8');
    this.stderr.on('data', (s: string) => (this.errText += s));
  }

  run(args: string[], env: NodeJS.ProcessEnv, resolveThread: ThreadResolver, sink: BindingSink): Promise<number> {
    return runShim({ argv: args, env, cwd: process.cwd(), version: '0.0.0-test', resolveThread, sink, stdin: this.stdin, stdout: this.stdout, stderr: this.stderr, signals: [] });
  }

  send(m: unknown): void {
    this.stdin.write(JSON.stringify(m) + '\n');
  }

  async response(id: unknown): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.messages.find((m) => m.id === id && m.method === undefined);
      if (found) {
        return found;
      }
      assert.ok(Date.now() < deadline, `no response to ${JSON.stringify(id)}; stderr: ${this.errText}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200).unref();
      });
    }
  }
}

const resolved = (result: ResolveResult): ThreadResolver => async () => result;

describe('runShim with injected resolver and sink', function () {
  this.timeout(30_000);
  afterEach(cleanupAll);

  it('tells the sink starting, running, each call, the correction, the restart, the exit, then flushes', async () => {
    const dir = tempDir();
    const records = tempDir();
    const sink = new RecordingSink(path.join(dir, 'logs', 'a.stderr.log'), dir);
    const h = new Harness();
    const done = h.run(['--name', 'notes', '--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_RECORD_DIR: records }), resolved({ threadId: THREAD_A, resolvedBy: 'parent-open-files', contextFile: path.join(dir, `${THREAD_A}.json`) }), sink);
    h.send(initializeRequest(0));
    await h.response(0);
    h.send(initializedNotification);
    h.send(toolsCall(1, 'whoami', THREAD_A));
    await h.response(1);
    h.send(toolsCall(2, 'whoami', THREAD_B));
    await h.response(2);
    h.stdin.end();
    assert.equal(await done, 0);

    const names = sink.events.map((e) => e[0]);
    assert.deepEqual(names, ['starting', 'running', 'correction', 'restarted', 'exited', 'flush']);
    const start = sink.events[0][1] as BindingStart;
    assert.deepEqual([start.server, start.threadId, start.resolvedBy, start.contextFile, start.shimPid], ['notes', THREAD_A, 'parent-open-files', path.join(dir, `${THREAD_A}.json`), process.pid]);
    const c = sink.events[2][1] as Correction;
    assert.deepEqual([c.from, c.to, c.action], [THREAD_A, THREAD_B, 'restart']);
    assert.equal(sink.events[3][2], THREAD_B);
    assert.equal(sink.events[3][3], path.join(dir, `${THREAD_B}.json`));
    assert.deepEqual(sink.events[4].slice(1), [0, null]);
    assert.equal(sink.calls, 2, 'a held call is counted once, when delivered');

    const byThread = Object.fromEntries(serverRecords(records).map((r) => [r.CODEX_THREAD_ID, r.CODEX_THREAD_CONTEXT]));
    assert.deepEqual(byThread, { [THREAD_A]: path.join(dir, `${THREAD_A}.json`), [THREAD_B]: path.join(dir, `${THREAD_B}.json`) });
  });

  it('tells the sink about a restart that failed: the correction, the replacement it started, that one\'s exit status', async () => {
    const records = tempDir();
    const sink = new RecordingSink(undefined);
    const h = new Harness();
    const env = cleanEnv({ FIXTURE_RECORD_DIR: records, FIXTURE_FAIL_THREAD: THREAD_B });
    const done = h.run(['--name', 'notes', '--', node, fixture('jsonrpc-server.mjs')], env, resolved({ threadId: THREAD_A, resolvedBy: 'env' }), sink);
    h.send(initializeRequest(0));
    await h.response(0);
    h.send(initializedNotification);
    h.send(toolsCall(1, 'whoami', THREAD_B));
    const answer = await h.response(1);
    assert.match((answer.error as { message: string }).message, /could not be restarted/);
    assert.equal(await done, 1, 'the shim ends with the failed server\'s status');
    assert.deepEqual(sink.events.map((e) => e[0]), ['starting', 'running', 'correction', 'restarted', 'exited', 'flush']);
    assert.deepEqual([(sink.events[2][1] as Correction).to, (sink.events[2][1] as Correction).action], [THREAD_B, 'restart']);
    assert.equal(sink.events[3][2], THREAD_B);
    assert.deepEqual(sink.events[4].slice(1), [1, null]);
    assert.equal(sink.calls, 0, 'the call never reached a server');
    assert.match(h.errText, /cannot restart the server for thread 01a20dd4-0000-7000-8000-000000000002/);
  });

  it('keeps the last 256 KB of the server stderr in the sink\'s file, mode 0600, and still relays all of it', async () => {
    const dir = tempDir();
    const log = path.join(dir, 'logs', 'server.stderr.log');
    const h = new Harness();
    const done = h.run(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ CODEX_THREAD_ID: THREAD_A }), resolvedFromEnv, new RecordingSink(log));
    h.send(initializeRequest(0));
    await h.response(0);
    h.send(toolsCall(1, 'stderr', THREAD_A, { chunks: 5000, width: 100 }));
    await h.response(1);
    h.stdin.end();
    assert.equal(await done, 0);
    const kept = fs.readFileSync(log, 'utf8');
    assert.equal(kept.length, 256 * 1024);
    assert.ok(kept.endsWith(`stderr line 4999 ${'.'.repeat(100)}\n`));
    assert.equal(fs.statSync(log).mode & 0o777, 0o600);
    assert.ok(h.errText.includes('stderr line 0 ') && h.errText.includes('stderr line 4999 '), 'stderr relayed in full');
    assert.deepEqual(fs.readdirSync(path.dirname(log)), ['server.stderr.log'], 'no temp files left');
  });

  it('fails open: a sink that throws everywhere changes nothing but one line on stderr', async () => {
    const boom = (): never => {
      throw new Error('store on fire');
    };
    const sink: BindingSink = {
      get stderrLogPath(): string {
        return boom();
      },
      starting: boom,
      running: boom,
      call: boom,
      correction: boom,
      restarted: boom,
      exited: boom,
      contextFileFor: boom,
      flush: () => Promise.reject(new Error('still on fire')),
    };
    const records = tempDir();
    const h = new Harness();
    const done = h.run(['--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ CODEX_THREAD_ID: THREAD_A, FIXTURE_RECORD_DIR: records }), resolvedFromEnv, sink);
    h.send(initializeRequest(0));
    await h.response(0);
    h.send(initializedNotification);
    h.send(toolsCall(1, 'whoami', THREAD_B));
    const r = await h.response(1);
    assert.match(JSON.stringify(r), new RegExp(THREAD_B));
    h.stdin.end();
    assert.equal(await done, 0);
    assert.equal(h.errText.match(/cannot record the binding \(store on fire\)/g)?.length, 1, h.errText);
    assert.equal(h.errText.trim().split('\n').length, 1, h.errText);
    const threads = serverRecords(records).map((x) => x.CODEX_THREAD_CONTEXT);
    assert.deepEqual(threads, [null, null], 'no context file when the sink cannot name one');
  });

  it('fails open: a resolver that hangs, throws or invents an id leaves the server unbound, with one line', async () => {
    const cases: [ThreadResolver, RegExp][] = [
      [() => new Promise<ResolveResult>(() => undefined), /thread resolution failed: no answer within 300 ms/],
      [async () => Promise.reject(new Error('proc unreadable')), /thread resolution failed: proc unreadable/],
      [resolved({ threadId: 'thread-1', resolvedBy: 'env' }), /not a thread id: "thread-1"/],
    ];
    for (const [resolver, message] of cases) {
      const records = tempDir();
      const h = new Harness();
      const done = h.run(['--wait', '50', '--', node, fixture('jsonrpc-server.mjs')], cleanEnv({ FIXTURE_RECORD_DIR: records }), resolver, new NoopSink());
      h.send(initializeRequest(0));
      await h.response(0);
      h.stdin.end();
      assert.equal(await done, 0);
      assert.match(h.errText, message);
      assert.equal(h.errText.trim().split('\n').length, 1, h.errText);
      assert.equal(serverRecords(records)[0].CODEX_THREAD_ID, null);
    }
  });

  it('starts Codex\'s thread-less copy silently, records nothing, even with --if-unresolved fail', async () => {
    const sink = new RecordingSink(undefined);
    const h = new Harness();
    const done = h.run(['--if-unresolved', 'fail', '--', node, fixture('jsonrpc-server.mjs')], cleanEnv(), resolved({ resolvedBy: 'unresolved', threadless: true }), sink);
    h.send(initializeRequest(0));
    await h.response(0);
    h.stdin.end();
    assert.equal(await done, 0);
    assert.equal(h.errText, '');
    assert.deepEqual(sink.events, []);
  });
});
