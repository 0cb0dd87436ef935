// Shim relay benchmark: the same MCP-like server, talked to directly and through dist/shim.js,
// alternating in one run so that both see the same machine state. Measures
//   - start: spawn to the initialize reply (a new process each run);
//   - round trip: 10,000 sequential tools/call requests, each waiting for its reply;
//   - throughput, server -> client and client -> server, with 1 KB and 1 MB messages, and one
//     single 300 MB message each way (the shim must stream it: RSS ≤ 100 MB);
//   - the shim's peak RSS (VmHWM) in each scenario.
// Usage: node out/bench/shim.js [--runs N] [--shim FILE] [--only NAME] [--native] [--write]
//   --shim   another build of the shim to measure (e.g. one wired with a no-op sink)
//   --only   only the scenarios whose name contains NAME (start, round, 1 KB, 1 MB, 300 MB)
//   --native also measure bench/nativeRelay.c, the cheapest relay a process can be (needs cc)
//   --write  put the table into bench/README.md under "## Shim relay"
// The shim runs as shipped (its real resolver and store); CODEX_THREAD_ID is set and CODEX_HOME
// is a temp dir, so resolution takes its first step and the store writes go nowhere that matters.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MODE_TITLES, NODE_RELAY, buildNativeRelay, parseRelayBenchArgs, type Launch, type Mode } from './relayBench';
import { KB, MB, SERVER, THREAD, downRun, roundTripRun, startRun, upRun } from './relayWorkloads';
import { markdownTable, median, writeBenchSection } from './stats';

const ROOT = path.join(__dirname, '..', '..');

interface Row {
  name: string;
  unit: string;
  /** Median per mode. */
  median: Partial<Record<Mode, number>>;
  /** Best run per mode (least time, most throughput): on a shared machine, medians move a lot. */
  best: Partial<Record<Mode, number>>;
  added: string;
  goal: string;
  met: boolean;
  rss: number;
  /** The bare Node relay's peak RSS in the same workload, for comparison. */
  relayRss: number;
  /** The RSS bound of this workload. */
  rssGoal: number;
}

async function main(): Promise<void> {
  const args = parseRelayBenchArgs(process.argv.slice(2));
  const shim = args.shim ?? path.join(ROOT, 'dist', 'shim.js');
  if (!fs.existsSync(shim)) {
    throw new Error(`${shim} is missing: run npm run build first`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shim-bench-'));
  const server = path.join(dir, 'server.mjs');
  fs.writeFileSync(server, SERVER);
  const launch: Launch = { shim, relayFile: path.join(dir, 'relay.js'), native: args.native ? buildNativeRelay(ROOT, dir) : undefined };
  fs.writeFileSync(launch.relayFile, NODE_RELAY);
  fs.mkdirSync(path.join(dir, 'codex'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, CODEX_HOME: path.join(dir, 'codex'), CODEX_THREAD_ID: THREAD };
  const rows: Row[] = [];
  const loadBefore = os.loadavg()[0];
  const modes: Mode[] = launch.native ? ['direct', 'relay', 'native', 'shim'] : ['direct', 'relay', 'shim'];
  const all = async <T>(runs: number, fn: (mode: Mode) => Promise<T>): Promise<Record<Mode, T[]>> => {
    const r: Record<Mode, T[]> = { direct: [], relay: [], native: [], shim: [] };
    for (const m of modes) {
      await fn(m); // warm the page cache and this process's JIT
    }
    for (let i = 0; i < runs; i++) {
      for (const m of modes) {
        r[m].push(await fn(m));
      }
    }
    return r;
  };
  /** Medians and best runs of every mode, the shim's peak RSS. */
  const summary = <T extends { rss: number }>(r: Record<Mode, T[]>, value: (x: T) => number, better: 'low' | 'high') => {
    const median_: Partial<Record<Mode, number>> = {};
    const best: Partial<Record<Mode, number>> = {};
    for (const m of modes) {
      const values = r[m].map(value);
      median_[m] = median(values);
      best[m] = better === 'low' ? Math.min(...values) : Math.max(...values);
    }
    return { median: median_, best, rss: Math.max(...r.shim.map((x) => x.rss)), relayRss: Math.max(...r.relay.map((x) => x.rss)) };
  };

  const wanted = (name: string): boolean => name.includes(args.only);
  try {
    if (wanted('start')) {
      const s = summary(await all(Math.max(args.runs, 9), (m) => startRun(launch, m, server, env)), (x) => x.ms, 'low');
      const added = s.median.shim! - s.median.direct!;
      rows.push({ name: 'start: spawn to initialize reply', unit: 'ms', ...s, added: `+${added.toFixed(1)} ms`, goal: '≤ +100 ms', met: added <= 100, rssGoal: 70 * MB });
    }
    if (wanted('round trip')) {
      const calls = 10_000;
      const s = summary(await all(Math.max(args.runs, 9), (m) => roundTripRun(launch, m, server, env, calls)), (x) => x.msPerCall, 'low');
      const added = s.median.shim! - s.median.direct!;
      rows.push({ name: `round trip, ${calls.toLocaleString('en')} sequential tools/call`, unit: 'ms/call', ...s, added: `+${added.toFixed(3)} ms`, goal: '≤ +0.15 ms', met: added <= 0.15, rssGoal: 70 * MB });
    }
    for (const [label, size, total, runs, rssGoal] of [
      ['1 KB messages (64 MB)', KB, 64 * MB, args.runs, 70 * MB],
      ['1 MB messages (256 MB)', MB, 256 * MB, args.runs, 70 * MB],
      ['one 300 MB message', 300 * MB, 300 * MB, Math.min(args.runs, 3), 100 * MB],
    ] as const) {
      if (!wanted(label)) {
        continue;
      }
      for (const [direction, run] of [['server → client', downRun], ['client → server', upRun]] as const) {
        const s = summary(await all(runs, (m) => run(launch, m, server, env, size, total)), (x) => x.mbps, 'high');
        const share = s.median.shim! / s.median.direct!;
        const relayShare = s.median.relay! / s.median.direct!;
        rows.push({
          name: `${direction}, ${label}`,
          unit: 'MB/s',
          ...s,
          added: `${(share * 100).toFixed(0)} % of direct (Node relay ${(relayShare * 100).toFixed(0)} %)`,
          // The throughput bound holds with SDK endpoints (shimSdk.ts); here only memory is judged.
          goal: 'RSS only',
          met: s.rss <= rssGoal,
          rssGoal,
        });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const fmt = (n: number | undefined, unit: string): string => (n === undefined ? '' : unit === 'ms/call' ? n.toFixed(3) : unit === 'ms' ? n.toFixed(1) : n.toFixed(0));
  const table = markdownTable(
    ['measure', 'unit', ...modes.map((m) => MODE_TITLES[m]), 'shim vs direct', 'goal', 'met', `best runs: ${modes.join(' / ')}`, 'shim peak RSS (MB)', 'RSS goal (MB)', 'Node relay peak RSS (MB)'],
    rows.map((r) => [r.name, r.unit, ...modes.map((m) => fmt(r.median[m], r.unit)), r.added, r.goal, r.met ? 'yes' : '**no**', modes.map((m) => fmt(r.best[m], r.unit)).join(' / '), `${(r.rss / MB).toFixed(1)}${r.rss > r.rssGoal ? ' **over**' : ''}`, `≤ ${r.rssGoal / MB}`, (r.relayRss / MB).toFixed(1)]),
  );
  const rssOk = rows.every((r) => r.rss <= r.rssGoal);
  const shares = (m: Mode): string => {
    const xs = rows.filter((r) => r.unit === 'MB/s' && r.median[m] !== undefined).map((r) => (r.median[m]! / r.median.direct!) * 100);
    return xs.length > 0 ? `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} %` : '';
  };
  const floor =
    shares('relay') !== ''
      ? `Throughput as a share of direct: the bare Node relay ${shares('relay')}${launch.native ? `, the native relay ${shares('native')}` : ''}, the shim ${shares('shim')}. `
      : '';
  const cpu = os.cpus();
  const note =
    `Direct, a bare Node relay (\`stdin.pipe(child.stdin)\`, \`child.stdout.pipe(stdout)\`: the floor for a relay written in Node)${launch.native ? ', a native relay (bench/nativeRelay.c: splice(2), no framing; the floor for any relay process)' : ''} and the shim alternate in one run (one warm-up each first); medians of ${args.runs} runs (start and round trip: ${Math.max(args.runs, 9)} runs; start: each a new process), "met" judged on medians; the best runs are shown too because other work on this shared 2-core machine moves medians a lot. ` +
    floor +
    `The server is a minimal line-based MCP server; the client only frames lines and parses short ones, so both sides cost next to nothing and the relay's share shows in full (bench/shimSdk.ts measures with real SDK endpoints). Messages are JSON-RPC with object params, as MCP sends them. ` +
    `The shim runs as shipped (resolver, store), with CODEX_THREAD_ID set and a temp CODEX_HOME. Peak RSS is the shim's VmHWM at the end of each run (goals ≤ 70 MB, ≤ 100 MB for the 300 MB message: ${rssOk ? 'met' : '**not met**'}). ` +
    `Load average (1 min, from \`uptime\`) ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end: the machine is shared with other work. ` +
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, \`node out/bench/shim.js --native --write\`.`;
  console.log(`${table}\n\n${note}`);
  if (args.write) {
    writeBenchSection('Shim relay', `${table}\n\n${note}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
