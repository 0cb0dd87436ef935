// The swap's time bounds, in-process (the Supervisor with short timeouts): a server that does not
// answer what it owes in time is stopped anyway, and its requests get an error instead of silence.

import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { GuardedSink, NoopSink } from '../../../src/shim/bindingSink';
import { Supervisor } from '../../../src/shim/supervisor';
import { THREAD_A, THREAD_B, cleanupAll, fixture, initializeRequest, initializedNotification, pidAlive, toolsCall, trackPid } from './helpers';

class Client {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly errors = new PassThrough();
  readonly messages: Record<string, unknown>[] = [];
  stderr = '';
  private partial = '';
  private readonly waiters = new Set<() => void>();

  constructor() {
    this.output.setEncoding('utf8');
    this.output.on('data', (s: string) => {
      const lines = (this.partial + s).split('\n');
      this.partial = lines.pop()!;
      for (const l of lines) {
        this.messages.push(JSON.parse(l) as Record<string, unknown>);
      }
      this.waiters.forEach((w) => w());
    });
    this.errors.setEncoding('utf8');
    this.errors.on('data', (s: string) => (this.stderr += s));
  }

  send(m: unknown): void {
    this.input.write(JSON.stringify(m) + '\n');
  }

  response(id: unknown, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this.messages.find((x) => x.id === id && x.method === undefined);
        if (m !== undefined) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no response to ${JSON.stringify(id)}; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

describe('swap time bounds (Supervisor in-process)', function () {
  this.timeout(30_000);
  afterEach(cleanupAll);

  it('stops a server that still owes an answer after drainTimeoutMs and answers that request with an error', async () => {
    const client = new Client();
    const lines: string[] = [];
    const supervisor = new Supervisor({
      command: process.execPath,
      args: [fixture('jsonrpc-server.mjs')],
      baseEnv: { PATH: process.env.PATH, CODEX_THREAD_ID: THREAD_A },
      threadId: THREAD_A,
      onMismatch: 'restart',
      sink: new GuardedSink(new NoopSink(), (l) => lines.push(l)),
      report: (l) => lines.push(l),
      input: client.input,
      output: client.output,
      errorOutput: client.errors,
      graceMs: 200,
      startupTimeoutMs: 5000,
      drainTimeoutMs: 300,
    });
    const oldPid = supervisor.start()!;
    trackPid(oldPid);
    client.send(initializeRequest(0));
    await client.response(0);
    client.send(initializedNotification);
    client.send(toolsCall(1, 'sleep', THREAD_A, { ms: 60_000 }));
    client.send(toolsCall(2, 'whoami', THREAD_B));
    const started = Date.now();
    const second = await client.response(2);
    const answer = JSON.parse((second.result as { content: { text: string }[] }).content[0].text) as { pid: number; threadId: string };
    trackPid(answer.pid);
    assert.equal(answer.threadId, THREAD_B);
    assert.ok(Date.now() - started >= 300, 'the swap waited for the drain time');
    const first = await client.response(1);
    assert.match((first.error as { message: string }).message, /stopped before it answered/);
    assert.ok(!pidAlive(oldPid));
    assert.equal(client.messages.filter((m) => m.id === 1).length, 1, 'answered once');
    assert.ok(lines.some((l) => /still owes 1 answer\(s\) after 300 ms/.test(l)), lines.join('\n'));
    client.input.end();
    const exit = await supervisor.finished;
    assert.equal(exit.code, 0);
  });
});
