// Shim thread resolution benchmark: how much later a server starts, and answers `initialize`,
// when Codex runs it behind dist/shim.js instead of directly, with 1, 100 and 1,000 live threads.
//
// A fake Codex parent (shimResolutionCodex.ts, a node process the kernel names `codex`) holds one
// lock file per live thread open, as Codex 0.169 does, and spawns either the trivial server
// (shimResolutionServer.ts) or the real shim wrapping it, the way Codex spawns MCP servers. The
// shim must find the newest thread among the parent's open lock files, claim it in a fresh
// context store (lock, write, fsync, rename) and start the server with CODEX_THREAD_ID. Every run
// is a new fake Codex; a run counts only when the server got the right id. A "0" row measures a
// Codex with nothing to find (e.g. an --ephemeral thread): the shim looks for --wait ms first.
//
// Usage: node out/bench/shimResolution.js [--runs N] [--write]   (build dist/shim.js first)
//   --write  put the table into bench/README.md under "## Shim thread resolution"
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { markdownTable, median, writeBenchSection } from './stats';

const REPO = path.join(__dirname, '..', '..');
const SHIM = path.join(REPO, 'dist', 'shim.js');
const FAKE_CODEX = path.join(__dirname, 'shimResolutionCodex.js');
const SERVER = path.join(__dirname, 'shimResolutionServer.js');
interface Case {
  label: string;
  threads: number;
  /** Give the shim CODEX_THREAD_ID (the newest thread's) in its environment: no lookup at all. */
  idInEnv?: boolean;
}

const CASES: Case[] = [
  { label: '1, id already in `CODEX_THREAD_ID` (no lookup)', threads: 1, idInEnv: true },
  { label: '1', threads: 1 },
  { label: '100', threads: 100 },
  { label: '1,000', threads: 1000 },
  { label: '0 (nothing to find)', threads: 0 },
];
const HEADING = 'Shim thread resolution';

interface Timing {
  spawnAt: number;
  serverStartAt: number;
  replyAt: number;
  threadId: string | null;
  stderr: string;
}

interface Sample {
  serverStartMs: number;
  replyMs: number;
}

function parseArgs(argv: string[]): { runs: number; write: boolean } {
  const args = { runs: 9, write: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') {
      args.runs = Number(argv[++i]);
    } else if (argv[i] === '--write') {
      args.write = true;
    } else {
      throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isInteger(args.runs) || args.runs < 5) {
    throw new Error('--runs must be a whole number of at least 5');
  }
  return args;
}

function uuidV7(ms: number): string {
  const hex = Math.floor(ms).toString(16).padStart(12, '0');
  const r = crypto.randomBytes(10).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(0, 3)}-${((parseInt(r[3], 16) & 3) | 8).toString(16)}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

interface Setup {
  root: string;
  home: string;
  codexHome: string;
  workDir: string;
  codexLink: string;
  idsFile: string;
  /** The thread a new server belongs to: the newest one (undefined with no threads). */
  target: string | undefined;
}

/** A home whose Codex has `count` live threads: lock files, the newest created a moment ago. */
function setUp(count: number): Setup {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-bench-shim-')));
  const home = path.join(root, 'home');
  const codexHome = path.join(home, '.codex');
  const workDir = path.join(root, 'work');
  const lockDir = path.join(codexHome, 'thread-writer-locks');
  fs.mkdirSync(lockDir, { recursive: true });
  fs.mkdirSync(workDir);
  const codexLink = path.join(root, 'bin', 'codex');
  fs.mkdirSync(path.dirname(codexLink));
  fs.symlinkSync(process.execPath, codexLink); // the kernel names the process "codex"
  const now = Date.now();
  // The others were loaded over the last day; the newest is the one being started.
  const ids = Array.from({ length: count }, (_, i) => uuidV7(i === count - 1 ? now - 2000 : now - 3_600_000 - Math.random() * 86_400_000));
  for (const id of ids) {
    const lock = path.join(lockDir, `${id}.lock`);
    fs.writeFileSync(lock, '');
    const created = new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
    fs.utimesSync(lock, created, created);
  }
  const idsFile = path.join(root, 'ids.txt');
  fs.writeFileSync(idsFile, ids.join('\n') + '\n');
  return { root, home, codexHome, workDir, codexLink, idsFile, target: ids.at(-1) };
}

function runOnce(setup: Setup, viaShim: boolean, storeDir: string, idInEnv: boolean): Promise<Timing> {
  const server = [process.execPath, SERVER];
  const command = viaShim ? [process.execPath, SHIM, '--', ...server] : server;
  return new Promise((resolve, reject) => {
    const child = spawn(setup.codexLink, [FAKE_CODEX, setup.codexHome, setup.idsFile, setup.workDir, '--', ...command], {
      env: {
        PATH: process.env.PATH,
        HOME: setup.home,
        LANG: process.env.LANG ?? 'C.UTF-8',
        CODEX_THREAD_CONTEXT_DIR: storeDir,
        ...(idInEnv && setup.target ? { CODEX_THREAD_ID: setup.target } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0 || !out.trim()) {
        reject(new Error(`fake codex exited ${code}: ${err}`));
        return;
      }
      resolve(JSON.parse(out.trim().split('\n')[0]) as Timing);
    });
  });
}

interface Row {
  label: string;
  threads: number;
  idInEnv: boolean;
  direct: Sample[];
  shim: Sample[];
  right: number;
}

async function measure(c: Case, runs: number): Promise<Row> {
  const count = c.threads;
  const idInEnv = c.idInEnv ?? false;
  const setup = setUp(count);
  const row: Row = { label: c.label, threads: count, idInEnv, direct: [], shim: [], right: 0 };
  try {
    // One warm-up of each (page cache, first node start), then direct and shim runs interleaved.
    for (let i = -1; i < runs; i++) {
      for (const viaShim of [false, true]) {
        const storeDir = path.join(setup.root, `store-${i}-${viaShim}`); // fresh: nothing claimed yet
        const t = await runOnce(setup, viaShim, storeDir, idInEnv);
        fs.rmSync(storeDir, { recursive: true, force: true });
        const expected = viaShim || idInEnv ? (setup.target ?? null) : null;
        if (t.threadId !== expected) {
          throw new Error(`${count} threads, ${viaShim ? 'shim' : 'direct'}: server got ${t.threadId}, expected ${expected}; stderr: ${t.stderr}`);
        }
        if (i < 0) {
          continue;
        }
        const sample = { serverStartMs: t.serverStartAt - t.spawnAt, replyMs: t.replyAt - t.spawnAt };
        (viaShim ? row.shim : row.direct).push(sample);
        if (viaShim) {
          row.right++;
        }
      }
    }
  } finally {
    fs.rmSync(setup.root, { recursive: true, force: true });
  }
  return row;
}

const ms = (v: number): string => v.toFixed(1);

async function main(): Promise<void> {
  const { runs, write } = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux') {
    throw new Error('this benchmark reads /proc (Linux only)');
  }
  if (!fs.existsSync(SHIM)) {
    throw new Error(`${SHIM} is missing: run \`node esbuild.config.mjs\` first`);
  }
  const rows: Row[] = [];
  for (const c of CASES) {
    rows.push(await measure(c, runs));
    process.stderr.write(`shim resolution bench: ${c.label} done\n`);
  }
  const table = markdownTable(
    [
      'live threads (lock files held)',
      'server process starts: direct / via shim (ms)',
      'shim adds before the server starts (ms)',
      '`initialize` answered: direct / via shim (ms)',
      'shim adds to `initialize` (ms)',
      'server got the right id',
    ],
    rows.map((r) => {
      const dStart = median(r.direct.map((s) => s.serverStartMs));
      const sStart = median(r.shim.map((s) => s.serverStartMs));
      const dReply = median(r.direct.map((s) => s.replyMs));
      const sReply = median(r.shim.map((s) => s.replyMs));
      return [
        r.label,
        `${ms(dStart)} / ${ms(sStart)}`,
        ms(sStart - dStart),
        `${ms(dReply)} / ${ms(sReply)}`,
        ms(sReply - dReply),
        r.threads === 0 ? `no id (${r.right}/${r.shim.length})` : `${r.right}/${r.shim.length}`,
      ];
    }),
  );
  const cpu = os.cpus();
  const text =
    `${table}\n\n` +
    'From the moment a fake Codex parent (a node process the kernel names `codex`, holding one ' +
    '`thread-writer-locks/<id>.lock` open per live thread) spawns the server, to the moment the ' +
    "server process starts (its `performance.timeOrigin`) and to the moment its answer to `initialize` arrives. " +
    'The first row gives the shim the id in `CODEX_THREAD_ID`, as a Codex that passed it would: what the shim costs without any lookup. ' +
    '"Direct" spawns the trivial node server itself; "via shim" spawns `node dist/shim.js -- node server.js`, ' +
    'which finds the thread among the parent\'s open lock files in /proc (README "How the shim finds the thread"), claims it in a fresh context store ' +
    '(lock, write, fsync, rename) and then starts the server with `CODEX_THREAD_ID`. "0 (nothing to find)" is a Codex that ' +
    'holds no thread files (as for `codex exec --ephemeral`): the shim looks for `--wait` (default 150 ms) before it ' +
    "starts the server without an id (the first call's `_meta.threadId` then gives it one). " +
    `Medians of ${runs} runs (after one warm-up), each run a new fake Codex; ` +
    `measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} cores (${cpu[0]?.model?.trim() ?? 'unknown CPU'}), ` +
    `Node ${process.version}, \`node out/bench/shimResolution.js --write\`.`;
  console.log(`## ${HEADING}\n\n${text}`);
  if (write) {
    writeBenchSection(HEADING, text);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
