// How often the shim's start-up guess is right when one Codex app-server (the IDE extension, the
// TUI's daemon) starts several threads at once, with the real Codex CLI (pinned, offline, mock
// model API). Codex orders nothing across threads, so the guess can be wrong; the per-call check
// then corrects it on the thread's first tools/call. This measures both, live.
//
// For each shim build given (the current dist/shim.js, and optionally an older build for the old
// rule), one app-server runs `--bursts` bursts of 3 concurrent `thread/start`; every thread keeps
// running (as in an IDE). After each burst, one turn per thread calls the probe's `whoami`: the
// call's `_meta.threadId` is the truth. A server's start-up guess is its first CODEX_THREAD_ID.
//
// Usage: node out/bench/shimResolutionBursts.js [--bursts N] [--old-shim <dist/shim.js of an older build>] [--write]
//   --write  put the table into bench/README.md under "## Shim start-up guesses in bursts (real Codex)"
// Per burst, stderr shows for each new shim in pid order: the creation rank of the thread it
// guessed → of the thread it served, e.g. [0→1, 1→0, 2→2].
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startAppServer } from '../test/support/codexCli';
import { createCodexFixture } from '../test/support/codexFixture';
import { probeServerArgv, probeServerConfig, recordsOf } from '../test/support/probeRecords';
import { markdownTable, writeBenchSection } from './stats';

const REPO = path.join(__dirname, '..', '..');
const HEADING = 'Shim start-up guesses in bursts (real Codex)';

interface Tally {
  bursts: number;
  servers: number;
  right: number;
  corrected: number;
  unresolved: number;
  uncorrected: number;
  allRightBursts: number;
  load: string[];
}

function parseArgs(argv: string[]): { bursts: number; oldShim?: string; write: boolean } {
  const args: { bursts: number; oldShim?: string; write: boolean } = { bursts: 20, write: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--bursts') {
      args.bursts = Number(argv[++i]);
    } else if (argv[i] === '--old-shim') {
      args.oldShim = path.resolve(argv[++i]);
    } else if (argv[i] === '--write') {
      args.write = true;
    }
  }
  return args;
}

const codexVersion = (): string => (JSON.parse(fs.readFileSync(require.resolve('@openai/codex/package.json'), 'utf8')) as { version: string }).version;

/** Unix ms of a UUIDv7 (its first 48 bits). */
const uuidTime = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

const loadAvg = (): string => os.loadavg()[0].toFixed(2);

async function measure(shim: string, bursts: number): Promise<Tally> {
  const fx = await createCodexFixture({
    turns: () => ({ callTool: { server: 'probe', tool: 'whoami' }, thenText: 'done' }),
    mcpServers: ({ home, recordFile }) => ({
      probe: {
        ...probeServerConfig({ recordFile, name: 'probe', env: { CODEX_THREAD_CONTEXT_DIR: path.join(home.root, 'store') } }),
        command: process.execPath,
        args: [shim, '--', ...probeServerArgv(recordFile, 'probe')],
      },
    }),
  });
  const tally: Tally = { bursts: 0, servers: 0, right: 0, corrected: 0, unresolved: 0, uncorrected: 0, allRightBursts: 0, load: [] };
  const client = await startAppServer({ home: fx.home, requestTimeoutMs: 60_000 });
  const seenShims = new Set<number>();
  try {
    for (let b = 0; b < bursts; b++) {
      tally.load.push(loadAvg());
      const threads = await Promise.all([0, 1, 2].map(() => client.threadStart()));
      const ids = threads.map((t) => t.id);
      await Promise.all(ids.map((id) => client.waitForMcpServerReady(id, 'probe', 60_000)));
      await Promise.all(ids.map((id) => client.runTurn(id, 'who am i', 60_000)));
      const starts = recordsOf(fx.recordFile, 'start');
      const calls = recordsOf(fx.recordFile, 'call');
      const shimOf = new Map(starts.map((s) => [s.pid, s.ppid]));
      const newShims = [...new Set(starts.map((s) => s.ppid))].filter((p) => !seenShims.has(p));
      let rightInBurst = 0;
      for (const shimPid of newShims) {
        seenShims.add(shimPid);
        const mine = starts.filter((s) => s.ppid === shimPid).sort((x, y) => x.time - y.time);
        const served = calls.find((c) => shimOf.get(c.pid) === shimPid)?.meta?.threadId as string | undefined;
        if (served === undefined || !ids.includes(served)) {
          continue; // not a server of this burst's threads
        }
        tally.servers++;
        const guess = mine[0].env.CODEX_THREAD_ID;
        const answeredWith = starts.find((s) => s.pid === calls.find((c) => c.meta?.threadId === served)?.pid)?.env.CODEX_THREAD_ID;
        if (guess === served) {
          tally.right++;
          rightInBurst++;
        } else if (answeredWith === served) {
          tally.corrected++;
          if (guess === undefined) {
            tally.unresolved++;
          }
        } else {
          tally.uncorrected++;
        }
      }
      tally.bursts++;
      if (rightInBurst === 3) {
        tally.allRightBursts++;
      }
      // Per shim in pid order: the creation rank of the thread it guessed → of the thread it served.
      const rankOf = (id: string | undefined): string => (id === undefined ? '-' : String([...ids].sort().indexOf(id)));
      const detail = newShims
        .sort((x, y) => x - y)
        .map((p) => {
          const first = starts.filter((s) => s.ppid === p).sort((x, y) => x.time - y.time)[0];
          const served = calls.find((c) => shimOf.get(c.pid) === p)?.meta?.threadId as string | undefined;
          return `${rankOf(first.env.CODEX_THREAD_ID)}→${rankOf(served)} +${first.processStartTime - Math.min(...ids.map(uuidTime))}ms`;
        })
        .join(', ');
      process.stderr.write(`  ${path.basename(path.dirname(path.dirname(shim)))} burst ${b + 1}/${bursts}: right ${rightInBurst}/3 (load ${tally.load.at(-1)}) [${detail}]\n`);
    }
  } finally {
    await client.close().catch(() => undefined);
    await fx.cleanup();
  }
  return tally;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const builds: [string, string][] = [['this build: oldest unclaimed first, pid order, 2 s window', path.join(REPO, 'dist', 'shim.js')]];
  if (args.oldShim) {
    builds.unshift(['before: newest thread created before the shim started', args.oldShim]);
  }
  const rows: (string | number)[][] = [];
  for (const [label, shim] of builds) {
    const t = await measure(shim, args.bursts);
    const pct = (n: number): string => `${n}/${t.servers} (${Math.round((100 * n) / Math.max(1, t.servers))} %)`;
    rows.push([label, t.bursts, pct(t.right), pct(t.corrected), t.uncorrected, `${t.allRightBursts}/${t.bursts}`, `${Math.min(...t.load.map(Number))}–${Math.max(...t.load.map(Number))}`]);
  }
  const table = markdownTable(
    ['rule', 'bursts of 3 `thread/start`', 'right first time', 'corrected by the per-call check', 'wrong and not corrected', 'bursts all right first time', 'load average (1 min)'],
    rows,
  );
  const note =
    `One \`codex app-server\` (Codex ${codexVersion()}, offline, mock model API) per row; each burst is 3 concurrent \`thread/start\`, ` +
    'then one turn per thread that calls the probe server behind the shim; earlier threads stay loaded with their servers running. A server\'s guess is the ' +
    '`CODEX_THREAD_ID` it was first started with; the truth is the `_meta.threadId` of the call its shim received. "Corrected": the per-call check restarted ' +
    'the server with the right id before it answered. The older build is the shim before this change (`git archive ed894dc`, built the same way). ' +
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (shared with other work; the load column is \`uptime\`'s 1-minute average at each burst), ` +
    `Node ${process.version}, \`node out/bench/shimResolutionBursts.js --bursts ${args.bursts}${args.oldShim ? ' --old-shim <old dist/shim.js>' : ''}${args.write ? ' --write' : ''}\`.`;
  const body = `${table}\n\n${note}\n`;
  process.stdout.write(`${body}\n`);
  if (args.write) {
    writeBenchSection(HEADING, body);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
