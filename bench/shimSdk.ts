// Shim relay benchmark with real MCP endpoints: the TypeScript SDK's Client talking to an SDK
// McpServer (shimSdkServer.ts) directly, through a bare Node relay, and through dist/shim.js,
// alternating in one run. This is the traffic a user's server sees: every message is parsed and
// validated at both ends, as real MCP clients and servers do.
//   - round trip: sequential tools/call;
//   - throughput, server -> client (tool results) and client -> server (tool arguments), with
//     1 KB and 1 MB messages and several calls in flight.
// Usage: node out/bench/shimSdk.js [--runs N] [--only NAME] [--shim FILE] [--native] [--write]
// (options as in shim.ts)
// bench/shim.ts measures the same with near-free endpoints (the relay's cost laid bare).

import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MODE_TITLES, NODE_RELAY, buildNativeRelay, launchCommand, parseRelayBenchArgs, peakRss, type Launch, type Mode } from './relayBench';
import { markdownTable, median, writeBenchSection } from './stats';

// The SDK's stdio transports add a 'drain' listener per message sent while the pipe is full;
// with many calls in flight that is more than Node's default warning threshold.
EventEmitter.defaultMaxListeners = 256;

const ROOT = path.join(__dirname, '..', '..');
const SHIM = path.join(ROOT, 'dist', 'shim.js');
const SERVER = path.join(__dirname, 'shimSdkServer.js');
const KB = 1024;
const MB = 1024 * 1024;
const THREAD = '01a20dd3-146f-7680-86a1-782e736bec86';

async function connect(mode: Mode, launch: Launch, env: Record<string, string>): Promise<{ client: Client; pid: number | null }> {
  const server = [process.execPath, SERVER];
  const [command, ...args] = launchCommand(mode, launch, server);
  const transport = new StdioClientTransport({ command, args, env, stderr: 'inherit' });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid };
}

const meta = { progressToken: 0, threadId: THREAD };

/** Runs `count` calls with at most `inFlight` outstanding; returns the seconds taken. */
async function callMany(client: Client, count: number, inFlight: number, args: () => Record<string, unknown>, name: string): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  const lane = async (): Promise<void> => {
    while (next < count) {
      next++;
      const r = await client.callTool({ name, arguments: args(), _meta: meta });
      if (r.isError) {
        throw new Error(`${name} failed: ${JSON.stringify(r.content).slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

interface Sample {
  value: number;
  rss: number;
}

interface Scenario {
  name: string;
  unit: 'ms/call' | 'MB/s';
  run: (client: Client) => Promise<number>;
}

function scenarios(): Scenario[] {
  const list: Scenario[] = [
    {
      name: 'round trip, 2,000 sequential tools/call',
      unit: 'ms/call',
      run: async (client) => ((await callMany(client, 2000, 1, () => ({ data: 'hello' }), 'sink')) * 1000) / 2000,
    },
  ];
  for (const [label, size, total, inFlight] of [['1 KB', KB, 16 * MB, 16], ['1 MB', MB, 128 * MB, 4]] as const) {
    const count = total / size;
    const data = 'b'.repeat(size);
    list.push(
      {
        name: `server → client, ${label} tool results (${total / MB} MB, ${inFlight} in flight)`,
        unit: 'MB/s',
        run: async (client) => total / MB / (await callMany(client, count, inFlight, () => ({ size }), 'blob')),
      },
      {
        name: `client → server, ${label} tool arguments (${total / MB} MB, ${inFlight} in flight)`,
        unit: 'MB/s',
        run: async (client) => total / MB / (await callMany(client, count, inFlight, () => ({ data }), 'sink')),
      },
    );
  }
  return list;
}

async function main(): Promise<void> {
  const args = parseRelayBenchArgs(process.argv.slice(2));
  const shim = args.shim ?? SHIM;
  for (const f of [shim, SERVER]) {
    if (!fs.existsSync(f)) {
      throw new Error(`${f} is missing: run npm run build and npm run compile-tests first`);
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-sdk-bench-'));
  const launch: Launch = { shim, relayFile: path.join(dir, 'relay.js'), native: args.native ? buildNativeRelay(ROOT, dir) : undefined };
  fs.writeFileSync(launch.relayFile, NODE_RELAY);
  const modes: Mode[] = launch.native ? ['direct', 'relay', 'native', 'shim'] : ['direct', 'relay', 'shim'];
  fs.mkdirSync(path.join(dir, 'codex'));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, CODEX_HOME: path.join(dir, 'codex'), CODEX_THREAD_ID: THREAD };
  const rows: string[][] = [];
  const loadBefore = os.loadavg()[0];
  let rssMax = 0;
  let allMet = true;
  try {
    for (const sc of scenarios().filter((s) => s.name.includes(args.only))) {
      const samples: Record<Mode, Sample[]> = { direct: [], relay: [], native: [], shim: [] };
      for (let i = -1; i < args.runs; i++) {
        for (const mode of modes) {
          const { client, pid } = await connect(mode, launch, env);
          try {
            await sc.run(client); // warm this connection's JIT on both ends
            const value = await sc.run(client);
            if (i >= 0) {
              samples[mode].push({ value, rss: mode === 'shim' ? peakRss(pid) : 0 });
            }
          } finally {
            await client.close();
          }
        }
      }
      const med = (m: Mode): number => median(samples[m].map((x) => x.value));
      const [d, s, r] = [med('direct'), med('shim'), med('relay')];
      const rss = Math.max(...samples.shim.map((x) => x.rss));
      rssMax = Math.max(rssMax, rss);
      const fmt = (n: number): string => (sc.unit === 'ms/call' ? n.toFixed(3) : n.toFixed(0));
      let added: string;
      let goal: string;
      let met: boolean;
      if (sc.unit === 'ms/call') {
        added = `+${(s - d).toFixed(3)} ms`;
        goal = '≤ +0.15 ms';
        met = s - d <= 0.15;
      } else {
        // The bound: within 10 points of the bare Node relay, as shares of direct in the same run.
        const points = ((s - r) / d) * 100;
        added = `${((s / d) * 100).toFixed(0)} % of direct (Node relay ${((r / d) * 100).toFixed(0)} %)`;
        goal = '≥ Node relay − 10 points';
        met = points >= -10;
      }
      met &&= rss <= 70 * MB;
      allMet &&= met;
      rows.push([sc.name, sc.unit, ...modes.map((m) => fmt(med(m))), added, goal, met ? 'yes' : '**no**', (rss / MB).toFixed(1)]);
      console.error(`${sc.name}: ${modes.map((m) => `${m} ${fmt(med(m))}`).join(', ')} ${sc.unit}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const table = markdownTable(['measure', 'unit', ...modes.map((m) => MODE_TITLES[m]), 'shim vs direct', 'goal (and RSS ≤ 70 MB)', 'met', 'shim peak RSS (MB)'], rows);
  const cpu = os.cpus();
  const note =
    `The TypeScript SDK's \`Client\` (StdioClientTransport) and an SDK \`McpServer\` (bench/shimSdkServer.ts), so both ends parse and validate every message as real MCP endpoints do. ` +
    `For each measure, direct, the bare Node relay${launch.native ? ', the native relay (bench/nativeRelay.c)' : ''} and the shim alternate, each on a fresh connection with one warm-up pass first; medians of ${args.runs} runs. ` +
    `The shim runs as shipped (resolver, store), with CODEX_THREAD_ID set and a temp CODEX_HOME; every call carries \`_meta.threadId\`, so each one is checked. ` +
    `Peak RSS is the shim's VmHWM (goal ≤ 70 MB: ${rssMax <= 70 * MB ? 'met' : '**not met**'}). ${allMet ? 'All goals met.' : ''} ` +
    `Load average (1 min, from \`uptime\`) ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end: the machine is shared with other work. ` +
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, \`node out/bench/shimSdk.js --write\`.`;
  console.log(`${table}\n\n${note}`);
  if (args.write) {
    writeBenchSection('Shim relay with SDK endpoints', `${table}\n\n${note}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
