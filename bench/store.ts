// Context store benchmark: updates per second and lock wait (p50/p95) for 1, 4 and 16 writer
// processes on one file, and 16 writers on 16 files. Each configuration runs several times; the
// table shows medians across runs. Usage: node out/bench/store.js [--runs N] [--write]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { markdownTable, median, percentile, writeBenchSection } from './stats';

const WORKER = path.join(__dirname, 'storeWorker.js');
const UPDATES_PER_WRITER = 60;

interface RunResult {
  updatesPerSecond: number;
  p50: number;
  p95: number;
}

async function runOnce(writers: number, files: number): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-bench-store-'));
  try {
    const cwd = path.join(dir, 'project');
    fs.mkdirSync(cwd);
    const children = Array.from({ length: writers }, (_, w) => {
      const id = `01a20dd3-0000-7000-8000-${String(w % files).padStart(12, '0')}`;
      const child = spawn(process.execPath, [WORKER, path.join(dir, 'store'), cwd, id, String(UPDATES_PER_WRITER)], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const ready = new Promise<void>((resolve) => {
        const check = () => out.includes('ready\n') && resolve();
        child.stdout.on('data', check);
      });
      const done = new Promise<{ ms: number; waits: number[] }>((resolve, reject) =>
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.split('\n')[1])) : reject(new Error(`worker exited ${code}`)))),
      );
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    const t0 = process.hrtime.bigint();
    for (const c of children) {
      c.child.stdin.write('go\n');
    }
    const results = await Promise.all(children.map((c) => c.done));
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const waits = results.flatMap((r) => r.waits);
    return { updatesPerSecond: (writers * UPDATES_PER_WRITER) / (wallMs / 1000), p50: percentile(waits, 50), p95: percentile(waits, 95) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStore(runs: number): Promise<string> {
  const configs = [
    { writers: 1, files: 1 },
    { writers: 4, files: 1 },
    { writers: 16, files: 1 },
    { writers: 16, files: 16 },
  ];
  const rows: (string | number)[][] = [];
  for (const { writers, files } of configs) {
    const results: RunResult[] = [];
    for (let r = 0; r < runs; r++) {
      results.push(await runOnce(writers, files));
    }
    rows.push([
      writers,
      files,
      Math.round(median(results.map((r) => r.updatesPerSecond))),
      median(results.map((r) => r.p50)).toFixed(1),
      median(results.map((r) => r.p95)).toFixed(1),
    ]);
    process.stderr.write(`store bench: ${writers} writers / ${files} files done\n`);
  }
  return markdownTable(['writer processes', 'files', 'updates/s', 'lock wait p50 (ms)', 'lock wait p95 (ms)'], rows);
}

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf('--runs');
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
  const table = await benchStore(runs);
  const text = `${table}\n\n${UPDATES_PER_WRITER} read-modify-write updates per writer process (each takes the lock, reads, adds to a binding, writes a temp file, fsyncs, renames); medians of ${runs} runs; measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, \`npm run bench:store\`.`;
  console.log(text);
  if (process.argv.includes('--write')) {
    writeBenchSection('Context store', text);
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.stack);
    process.exit(1);
  });
}
