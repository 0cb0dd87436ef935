// The relay workloads the shim benchmarks share: a near-free MCP-like server (SERVER, written to a
// file and run with node), a cheap client (Peer), and the runs: start, round trip, and floods each
// way. Each run spawns the server in a Mode (direct, through a relay, through the shim) and returns
// its figure with the peak RSS of the process it spawned.

import { spawn, type ChildProcess } from 'node:child_process';
import { launchCommand, peakRss, type Launch, type Mode } from './relayBench';

export const MB = 1024 * 1024;
export const KB = 1024;
export const THREAD = '01a20dd3-146f-7680-86a1-782e736bec86';

// The server: line framing on Buffers, parses only short request lines, never the blobs.
export const SERVER = `
import process from 'node:process';
import { Buffer } from 'node:buffer';
const out = process.stdout;
let head = [];
let headLen = 0;
let lineLen = 0;
let blobBytes = 0;
function send(s) { return out.write(s + '\\n'); }
function flood(id, count, size) {
  const line = Buffer.alloc(size, 0x61);
  line.write('{"jsonrpc":"2.0","method":"bench/blob","params":{"data":"');
  line.write('"}}\\n', size - 4);
  let i = 0;
  const pump = () => {
    while (i < count) {
      i++;
      if (!out.write(line)) { out.once('drain', pump); return; }
    }
    send(JSON.stringify({ jsonrpc: '2.0', id, result: { sent: count * size } }));
  };
  pump();
}
function onLine(text) {
  if (!text.startsWith('{"jsonrpc":"2.0","id"')) { blobBytes += lineLen; return; }
  const m = JSON.parse(text);
  if (m.method === 'initialize') send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'bench', version: '1' } } }));
  else if (m.method === 'tools/call') send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text: 'ok' }] } }));
  else if (m.method === 'bench/flood') flood(m.id, m.params.count, m.params.size);
  else if (m.method === 'bench/received') { send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { bytes: blobBytes } })); blobBytes = 0; }
  else send(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }));
}
process.stdin.on('data', (chunk) => {
  let pos = 0;
  for (;;) {
    const nl = chunk.indexOf(10, pos);
    const end = nl < 0 ? chunk.length : nl + 1;
    lineLen += end - pos;
    if (headLen < 4096) { head.push(chunk.subarray(pos, Math.min(end, pos + 4096))); headLen += end - pos; }
    if (nl < 0) break;
    onLine(Buffer.concat(head).toString('utf8', 0, Math.min(headLen, 4096)).trimEnd());
    head = []; headLen = 0; lineLen = 0;
    pos = nl + 1;
    if (pos >= chunk.length) break;
  }
});
`;

/** A client of one server process: counts lines and waits for responses by id, cheaply. */
class Peer {
  readonly child: ChildProcess;
  private partial: Buffer[] = [];
  private lines = 0;
  private readonly waiting = new Map<number, (line: string) => void>();
  private lineWaiter: { count: number; resolve: () => void } | undefined;
  private nextId = 1;

  constructor(launch: Launch, mode: Mode, serverFile: string, env: NodeJS.ProcessEnv) {
    const server = [process.execPath, serverFile];
    const [command, ...args] = launchCommand(mode, launch, server);
    this.child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  private onData(chunk: Buffer): void {
    let pos = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, pos)) {
      this.lines++;
      // Only short lines can be responses; blobs are just counted.
      if (nl - pos < 512 || this.partial.length > 0) {
        const piece = chunk.subarray(pos, nl);
        const total = this.partial.reduce((n, b) => n + b.length, 0) + piece.length;
        if (total < 512) {
          const text = Buffer.concat([...this.partial, piece]).toString();
          const m = /"id":(\d+)/.exec(text);
          if (m && !text.includes('"method"')) {
            const fn = this.waiting.get(Number(m[1]));
            this.waiting.delete(Number(m[1]));
            fn?.(text);
          }
        }
      }
      this.partial = [];
      pos = nl + 1;
    }
    if (pos < chunk.length && this.partial.reduce((n, b) => n + b.length, 0) < 512) {
      this.partial.push(chunk.subarray(pos));
    }
    if (this.lineWaiter && this.lines >= this.lineWaiter.count) {
      this.lineWaiter.resolve();
      this.lineWaiter = undefined;
    }
  }

  request(method: string, params: unknown): Promise<string> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin!.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  async write(data: Buffer): Promise<void> {
    if (!this.child.stdin!.write(data)) {
      await new Promise((r) => this.child.stdin!.once('drain', r));
    }
  }

  /** Peak RSS so far of the process this peer spawned (the shim, in shim mode), in bytes. */
  peakRss(): number {
    return peakRss(this.child.pid);
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    await exited;
  }
}

const initParams = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } };

export async function startRun(launch: Launch, mode: Mode, server: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; rss: number }> {
  const t0 = process.hrtime.bigint();
  const peer = new Peer(launch, mode, server, env);
  await peer.request('initialize', initParams);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rss = peer.peakRss();
  await peer.close();
  return { ms, rss };
}

export async function roundTripRun(launch: Launch, mode: Mode, server: string, env: NodeJS.ProcessEnv, calls: number): Promise<{ msPerCall: number; rss: number }> {
  const peer = new Peer(launch, mode, server, env);
  await peer.request('initialize', initParams);
  const params = { name: 'echo', arguments: { text: 'hello' }, _meta: { progressToken: 1, threadId: THREAD, sessionId: THREAD } };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    await peer.request('tools/call', params);
  }
  const msPerCall = Number(process.hrtime.bigint() - t0) / 1e6 / calls;
  const rss = peer.peakRss();
  await peer.close();
  return { msPerCall, rss };
}

export async function downRun(launch: Launch, mode: Mode, server: string, env: NodeJS.ProcessEnv, size: number, total: number): Promise<{ mbps: number; rss: number }> {
  const peer = new Peer(launch, mode, server, env);
  await peer.request('initialize', initParams);
  const count = Math.round(total / size);
  const t0 = process.hrtime.bigint();
  await peer.request('bench/flood', { count, size });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = peer.peakRss();
  await peer.close();
  return { mbps: (count * size) / MB / s, rss };
}

export async function upRun(launch: Launch, mode: Mode, server: string, env: NodeJS.ProcessEnv, size: number, total: number): Promise<{ mbps: number; rss: number }> {
  const peer = new Peer(launch, mode, server, env);
  await peer.request('initialize', initParams);
  const count = Math.round(total / size);
  const line = Buffer.alloc(size, 0x61);
  line.write('{"jsonrpc":"2.0","method":"bench/blob","params":{"data":"');
  line.write('"}}\n', size - 4);
  // Batches of lines per write, as a client serialising many messages would hand them over.
  const batch = Buffer.concat(Array.from({ length: Math.max(1, Math.floor((64 * KB) / size)) }, () => line));
  const perBatch = batch.length / size;
  const t0 = process.hrtime.bigint();
  let sent = 0;
  while (sent + perBatch <= count) {
    await peer.write(batch);
    sent += perBatch;
  }
  for (; sent < count; sent++) {
    await peer.write(line);
  }
  const reply = await peer.request('bench/received', {});
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = Number(/"bytes":(\d+)/.exec(reply)![1]);
  if (bytes !== count * size) {
    throw new Error(`server received ${bytes} bytes, expected ${count * size}`);
  }
  const rss = peer.peakRss();
  await peer.close();
  return { mbps: (count * size) / MB / s, rss };
}
