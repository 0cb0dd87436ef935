// Thread discovery benchmark. Generates a Codex home with 20,000 rollouts over two years
// (first lines of 10-30 KB like Codex 0.169's, further lines, realistic dates and mtimes, some
// live lock files, some old threads resumed this week, and a state_5.sqlite with one row per
// thread when the sqlite3 tool is installed), then measures in fresh processes (one per run):
//   - listing live threads plus the last 7 days: wall time, RSS added (peak), heap added;
//   - one change event: lock file created -> 'started' event, rollout appended -> 'activity'.
// Usage: node out/bench/discovery.js [--files N] [--runs N] [--drop-caches] [--write] [--keep DIR]
//   --drop-caches  also measure with the OS page cache dropped before each run (Linux, root)
//   --write        put the table into bench/README.md under "## Thread discovery"
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { markdownTable, median, writeBenchSection } from './stats';

const DAY = 86_400_000;
const DISCOVERY = path.join(__dirname, '..', 'src', 'core', 'discovery', 'discovery.js');

interface Args {
  files: number;
  runs: number;
  dropCaches: boolean;
  write: boolean;
  keep: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { files: 20_000, runs: 7, dropCaches: false, write: false, keep: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--files') {
      args.files = Number(argv[++i]);
    } else if (a === '--runs') {
      args.runs = Number(argv[++i]);
    } else if (a === '--drop-caches') {
      args.dropCaches = true;
    } else if (a === '--write') {
      args.write = true;
    } else if (a === '--keep') {
      args.keep = argv[++i];
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  return args;
}

// ---------- generation ----------

function uuidV7(ms: number): string {
  const hex = Math.floor(ms).toString(16).padStart(12, '0');
  const r = crypto.randomBytes(10).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(0, 3)}-${((parseInt(r[3], 16) & 3) | 8).toString(16)}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

const p2 = (n: number): string => String(n).padStart(2, '0');
const ORIGINATORS = ['codex-tui', 'codex-tui', 'codex_exec', 'codex_vscode', 'codex_exec', 'codex-tui'];
const WORDS = 'fix the failing test refactor parser add logging explain this module update the docs why does the build break rename'.split(' ');
// Real base instructions are prose; repeating one paragraph keeps generation fast.
const PROSE = 'You are a coding agent running in the Codex CLI, a terminal-based coding assistant. You are expected to be precise, safe, and helpful. ';

function sentence(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
}

function rolloutContent(id: string, t: number, rand: () => number, big: boolean): string {
  const ts = new Date(t).toISOString();
  const cwd = `/home/dev/src/project-${Math.floor(rand() * 40)}`;
  const instructions = PROSE.repeat(Math.ceil((10_000 + rand() * 20_000) / PROSE.length));
  const meta = {
    timestamp: ts, ordinal: 0, type: 'session_meta',
    payload: {
      account_scoped: true, session_id: id, id, timestamp: ts, cwd, runtime_workspace_roots: [cwd],
      originator: ORIGINATORS[Math.floor(rand() * ORIGINATORS.length)], cli_version: rand() < 0.7 ? '0.169.0' : '0.125.0',
      source: rand() < 0.5 ? 'vscode' : 'exec', thread_source: 'user', model_provider: 'openai',
      base_instructions: { text: instructions }, history_mode: 'paginated', context_window: { window_id: id },
    },
  };
  const item = (type: string, payload: unknown): string => JSON.stringify({ timestamp: ts, type, payload });
  const message = sentence(rand, 4 + Math.floor(rand() * 30));
  const lines = [
    JSON.stringify(meta),
    item('event_msg', { type: 'task_started', turn_id: id }),
    item('response_item', { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<skills_instructions>\n' + 'A skill is a set of local instructions. '.repeat(70) }] }),
    item('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: `<environment_context>\n  <cwd>${cwd}</cwd>\n  <shell>bash</shell>\n</environment_context>` }] }),
    item('world_state', { full: true, state: { agents_md: {}, notes: 'w'.repeat(3000) } }),
    item('turn_context', { cwd, approval_policy: 'never', model: 'gpt-5' }),
    item('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: message }] }),
    item('event_msg', { type: 'item_completed', item: { type: 'UserMessage', content: [{ type: 'text', text: message }] } }),
  ];
  const turns = big ? 400 : 2 + Math.floor(rand() * 20);
  for (let i = 0; i < turns; i++) {
    lines.push(item('response_item', { type: 'function_call', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', sentence(rand, 6)] }) }));
    lines.push(item('response_item', { type: 'function_call_output', output: 'o'.repeat(Math.floor(rand() * 3000)) }));
    lines.push(item('response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: sentence(rand, 40) }] }));
  }
  return lines.join('\n') + '\n';
}

interface Generated {
  home: string;
  files: number;
  bytes: number;
  liveLocks: number;
  withDb: boolean;
}

function generateHome(home: string, files: number): Generated {
  // mulberry32: a small seeded generator, so every run builds the same home.
  let seed = 42;
  const rand = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const now = Date.now();
  fs.mkdirSync(path.join(home, 'thread-writer-locks'), { recursive: true });
  fs.writeFileSync(path.join(home, 'thread-writer-locks', '.coordination.lock'), '');
  let bytes = 0;
  const rows: string[] = [];
  const ids: { id: string; t: number; file: string }[] = [];
  for (let i = 0; i < files; i++) {
    // Dates over two years, denser on weekdays and in working hours.
    let t = now - rand() * 730 * DAY;
    const d = new Date(t);
    if ((d.getDay() === 0 || d.getDay() === 6) && rand() < 0.6) {
      t -= 2 * DAY;
    }
    t = Math.min(t, now - 60_000);
    const id = uuidV7(t);
    const dd = new Date(t);
    const dir = path.join(home, 'sessions', String(dd.getFullYear()), p2(dd.getMonth() + 1), p2(dd.getDate()));
    fs.mkdirSync(dir, { recursive: true });
    const name = `rollout-${dd.getFullYear()}-${p2(dd.getMonth() + 1)}-${p2(dd.getDate())}T${p2(dd.getHours())}-${p2(dd.getMinutes())}-${p2(dd.getSeconds())}-${id}.jsonl`;
    const file = path.join(dir, name);
    const content = rolloutContent(id, t, rand, rand() < 0.01);
    fs.writeFileSync(file, content);
    bytes += content.length;
    const mtime = Math.min(now - 1000, t + rand() * 3 * 3600_000);
    fs.utimesSync(file, mtime / 1000, mtime / 1000);
    ids.push({ id, t, file });
    const title = sentence(rand, 6);
    rows.push(`('${id}','${file.replace(/'/g, "''")}',${Math.floor(t / 1000)},${Math.floor(mtime / 1000)},'exec','openai','/home/dev/src','${title}','{}','never','0.169.0','${title}',${Math.floor(t)},${Math.floor(mtime)},'${title}','codex-tui')`);
  }
  // A few old threads resumed this week, and live ones (three recent, one old, one without rollout).
  const old = ids.filter((x) => x.t < now - 60 * DAY).slice(0, 20);
  for (const x of old) {
    const m = now - rand() * 6 * DAY;
    fs.utimesSync(x.file, m / 1000, m / 1000);
  }
  const recent = ids.filter((x) => x.t > now - 2 * DAY).slice(0, 3);
  const live = [...recent.map((x) => x.id), old[0]?.id, uuidV7(now - 30_000)].filter((x): x is string => x !== undefined);
  for (const id of live) {
    fs.writeFileSync(path.join(home, 'thread-writer-locks', `${id}.lock`), '');
  }
  let withDb = false;
  if (spawnSync('sqlite3', ['-version']).status === 0) {
    const sql = `PRAGMA journal_mode=WAL;
CREATE TABLE threads (id TEXT PRIMARY KEY, rollout_path TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  source TEXT NOT NULL, model_provider TEXT NOT NULL, cwd TEXT NOT NULL, title TEXT NOT NULL, sandbox_policy TEXT NOT NULL,
  approval_mode TEXT NOT NULL, tokens_used INTEGER NOT NULL DEFAULT 0, has_user_event INTEGER NOT NULL DEFAULT 0,
  archived INTEGER NOT NULL DEFAULT 0, archived_at INTEGER, git_sha TEXT, git_branch TEXT, git_origin_url TEXT,
  cli_version TEXT NOT NULL DEFAULT '', first_user_message TEXT NOT NULL DEFAULT '', created_at_ms INTEGER, updated_at_ms INTEGER,
  preview TEXT NOT NULL DEFAULT '', originator TEXT);
CREATE INDEX idx_threads_updated_at ON threads(updated_at DESC, id DESC);
CREATE INDEX idx_threads_updated_at_ms ON threads(updated_at_ms DESC, id DESC);
CREATE TABLE thread_spawn_edges (parent_thread_id TEXT NOT NULL, child_thread_id TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL);
BEGIN;
${rows.map((r) => `INSERT INTO threads (id, rollout_path, created_at, updated_at, source, model_provider, cwd, title, sandbox_policy, approval_mode, cli_version, first_user_message, created_at_ms, updated_at_ms, preview, originator) VALUES ${r};`).join('\n')}
COMMIT;`;
    const r = spawnSync('sqlite3', ['-batch', path.join(home, 'state_5.sqlite')], { input: sql, maxBuffer: 256 * 1024 * 1024 });
    withDb = r.status === 0;
  }
  return { home, files, bytes, liveLocks: live.length, withDb };
}

// ---------- measurement (child processes) ----------

interface ListResult {
  ms: number;
  requireMs: number;
  rssAddedPeakMb: number;
  rssAddedMb: number;
  heapAddedMb: number;
  threads: number;
  live: number;
}

interface EventResult {
  startedMs: number[];
  activityMs: number[];
  cpuMsPerEvent: number[];
}

async function childList(home: string, useStateDb: boolean): Promise<void> {
  const r0 = process.hrtime.bigint();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CodexThreadDiscovery } = require(DISCOVERY) as typeof import('../src/core/discovery/discovery');
  const requireMs = Number(process.hrtime.bigint() - r0) / 1e6;
  const before = process.memoryUsage();
  const t0 = process.hrtime.bigint();
  const d = new CodexThreadDiscovery({ codexHome: home, useStateDb });
  const list = await d.list({ sinceDays: 7 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = process.memoryUsage();
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const result: ListResult = {
    ms,
    requireMs,
    rssAddedPeakMb: (peakRss - before.rss) / 2 ** 20,
    rssAddedMb: (after.rss - before.rss) / 2 ** 20,
    heapAddedMb: (after.heapUsed - before.heapUsed) / 2 ** 20,
    threads: list.length,
    live: list.filter((t) => t.live).length,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function childEvents(home: string, count: number): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CodexThreadDiscovery } = require(DISCOVERY) as typeof import('../src/core/discovery/discovery');
  const d = new CodexThreadDiscovery({ codexHome: home, rescanIntervalMs: 600_000 });
  await d.watch();
  const result: EventResult = { startedMs: [], activityMs: [], cpuMsPerEvent: [] };
  const waitFor = (pred: (type: string, id: string) => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no event within 5 s')), 5000);
      const sub = d.onDidChange((e) => {
        if (pred(e.type, e.thread.id)) {
          clearTimeout(timer);
          sub.dispose();
          resolve();
        }
      });
    });
  const locks = path.join(home, 'thread-writer-locks');
  const now = new Date();
  const dayDir = path.join(home, 'sessions', String(now.getFullYear()), p2(now.getMonth() + 1), p2(now.getDate()));
  fs.mkdirSync(dayDir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const id = uuidV7(Date.now());
    const lock = path.join(locks, `${id}.lock`);
    const file = path.join(dayDir, `rollout-${now.getFullYear()}-${p2(now.getMonth() + 1)}-${p2(now.getDate())}T00-00-00-${id}.jsonl`);
    fs.writeFileSync(file, rolloutContent(id, Date.now(), Math.random, false));
    let cpu = process.cpuUsage();
    let t0 = process.hrtime.bigint();
    const started = waitFor((type, tid) => type === 'started' && tid === id);
    fs.writeFileSync(lock, '');
    await started;
    result.startedMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    let c = process.cpuUsage(cpu);
    result.cpuMsPerEvent.push((c.user + c.system) / 1000);

    cpu = process.cpuUsage();
    t0 = process.hrtime.bigint();
    const activity = waitFor((type, tid) => type === 'activity' && tid === id);
    fs.appendFileSync(file, '{"type":"event_msg","payload":{"type":"token_count"}}\n');
    await activity;
    result.activityMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    c = process.cpuUsage(cpu);
    result.cpuMsPerEvent.push((c.user + c.system) / 1000);

    const ended = waitFor((type, tid) => type === 'ended' && tid === id);
    fs.rmSync(lock);
    await ended;
    fs.rmSync(file);
  }
  d.dispose();
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T) : reject(new Error(`child exited ${code}`))));
  });
}

/** Holds an flock on each live lock file, as the Codex that owns the thread does (util-linux `flock`). */
function holdLocks(home: string): () => void {
  const dir = path.join(home, 'thread-writer-locks');
  const holders = fs.readdirSync(dir)
    .filter((n) => n.endsWith('.lock') && !n.startsWith('.'))
    .map((n) => spawn('flock', ['-x', '-o', path.join(dir, n), 'sleep', '3600'], { detached: true, stdio: 'ignore' }));
  for (const h of holders) {
    h.on('error', () => undefined); // no flock tool: the locks count as stale and the live count shows it
  }
  return () => {
    for (const h of holders) {
      try {
        process.kill(-(h.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
}

function dropCaches(): boolean {
  try {
    spawnSync('sync');
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

async function measureList(home: string, runs: number, useDb: boolean, drop: boolean): Promise<ListResult[]> {
  const results: ListResult[] = [];
  for (let i = 0; i < runs; i++) {
    if (drop && !dropCaches()) {
      throw new Error('--drop-caches needs Linux and root');
    }
    results.push(await runChild<ListResult>(['list', home, String(useDb)]));
  }
  return results;
}

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    if (argv[1] === 'list') {
      await childList(argv[2], argv[3] === 'true');
    } else {
      await childEvents(argv[2], Number(argv[3]));
    }
    return;
  }
  const args = parseArgs(argv);
  const home = args.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-bench-discovery-'));
  try {
    let gen: Generated;
    const marker = path.join(home, '.bench-generated.json');
    if (args.keep && fs.existsSync(marker)) {
      gen = JSON.parse(fs.readFileSync(marker, 'utf8')) as Generated;
      console.error(`reusing ${home}`);
    } else {
      const t0 = Date.now();
      gen = generateHome(home, args.files);
      fs.writeFileSync(marker, JSON.stringify(gen));
      console.error(`generated ${gen.files} rollouts (${fmt(gen.bytes / 2 ** 20, 0)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s; state db: ${gen.withDb}`);
    }
    const configs: { label: string; useDb: boolean; drop: boolean }[] = [
      { label: 'rollouts + lock files', useDb: false, drop: false },
      ...(gen.withDb ? [{ label: 'rollouts + lock files + state db', useDb: true, drop: false }] : []),
    ];
    if (args.dropCaches) {
      configs.push(...configs.map((c) => ({ ...c, label: `${c.label}, page cache dropped`, drop: true })));
    }
    const releaseLocks = holdLocks(home);
    await new Promise((r) => setTimeout(r, 300)); // let the flock processes take their locks
    const rows: (string | number)[][] = [];
    let threads = 0;
    let live = 0;
    for (const c of configs) {
      const r = await measureList(home, args.runs, c.useDb, c.drop);
      threads = r[0].threads;
      live = r[0].live;
      rows.push([
        c.label,
        fmt(median(r.map((x) => x.ms))),
        `${fmt(Math.min(...r.map((x) => x.ms)))}–${fmt(Math.max(...r.map((x) => x.ms)))}`,
        fmt(median(r.map((x) => x.requireMs))),
        fmt(median(r.map((x) => x.rssAddedPeakMb))),
        fmt(median(r.map((x) => x.heapAddedMb))),
      ]);
      console.error(`${c.label}: ${rows[rows.length - 1].join(' | ')}`);
    }
    const ev = await runChild<EventResult>(['events', home, String(Math.max(args.runs, 5))]);
    releaseLocks();
    const table = markdownTable(['list live + last 7 days (cold process)', 'median ms', 'min–max ms', 'module load ms (not in the median)', 'RSS added, peak (MB)', 'heap added (MB)'], rows);
    const evTable = markdownTable(['change event', 'median latency ms', 'max ms', 'CPU ms per event (median)'], [
      ['lock file created → `started`', fmt(median(ev.startedMs)), fmt(Math.max(...ev.startedMs)), fmt(median(ev.cpuMsPerEvent.filter((_, i) => i % 2 === 0)))],
      ['rollout appended → `activity`', fmt(median(ev.activityMs)), fmt(Math.max(...ev.activityMs)), fmt(median(ev.cpuMsPerEvent.filter((_, i) => i % 2 === 1)))],
    ]);
    const cpu = os.cpus();
    const body = `${table}

${evTable}

Codex home: ${gen.files.toLocaleString('en')} rollouts over two years (${fmt(gen.bytes / 2 ** 30, 2)} GB; first lines of 10–30 KB), ${gen.liveLocks} live lock files (each held with flock, as Codex does)${gen.withDb ? `, a \`state_5.sqlite\` with ${gen.files.toLocaleString('en')} threads` : ''}; the list returns ${threads} threads (${live} live). Each list run is a new Node process (the clock starts after the discovery module is loaded, whose load time is shown apart; RSS peak from \`maxRSS\` minus RSS before the call). Without "page cache dropped" the OS file cache is warm (the files were just written); with it, \`/proc/sys/vm/drop_caches\` was written before each run. Change events: one process watching, with the 40 ms debounce, ${ev.startedMs.length} rounds; the latency is from the file-system change to the event. Medians of ${args.runs} runs; measured ${new Date().toISOString().slice(0, 10)} on ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, \`node out/bench/discovery.js${args.dropCaches ? ' --drop-caches' : ''} --write\`.`;
    console.log(body);
    if (args.write) {
      writeBenchSection('Thread discovery', body);
    }
  } finally {
    if (!args.keep) {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
