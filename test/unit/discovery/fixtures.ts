// Real files for discovery tests: Codex homes in temp folders, rollouts whose lines are modelled on
// what Codex 0.169 writes (see shared/codex-facts.md), lock files, and state databases made by the
// sqlite3 command-line tool (Debian package `sqlite3`).
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodexThreadDiscovery } from '../../../src/core/discovery/discovery';
import { ThreadChangeEvent } from '../../../src/core/discovery/types';

export function tempDir(prefix = 'ctc-discovery-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A UUIDv7 whose time is `ms` (random tail), like Codex's thread ids. */
export function uuidV7(ms: number): string {
  const hex = Math.floor(ms).toString(16).padStart(12, '0');
  const r = crypto.randomBytes(10).toString('hex');
  const variant = ((parseInt(r[3], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}

export interface RolloutSpec {
  readonly id: string;
  readonly cwd?: string;
  readonly originator?: string;
  readonly cliVersion?: string;
  readonly source?: unknown;
  readonly sessionId?: string;
  readonly forkedFromId?: string;
  /** Size of base_instructions.text. Real 0.169 lines are about 22 KB. */
  readonly instructionsBytes?: number;
  /** The user's first message; undefined writes a rollout with the first line only. */
  readonly userMessage?: string;
  /** 'v169' (response_item + item_completed) or 'legacy' (event_msg user_message). */
  readonly style?: 'v169' | 'legacy';
}

export function sessionMetaLine(s: RolloutSpec): string {
  const ts = new Date(idTime(s.id)).toISOString();
  const instructions = 'You are a coding agent running in the Codex CLI. '.repeat(Math.ceil((s.instructionsBytes ?? 22_000) / 49)).slice(0, s.instructionsBytes ?? 22_000);
  const payload: Record<string, unknown> = {
    account_scoped: true,
    session_id: s.sessionId ?? s.id,
    id: s.id,
    ...(s.forkedFromId ? { forked_from_id: s.forkedFromId } : {}),
    timestamp: ts,
    cwd: s.cwd ?? '/work/project',
    runtime_workspace_roots: [s.cwd ?? '/work/project'],
    originator: s.originator ?? 'codex_exec',
    cli_version: s.cliVersion ?? '0.169.0',
    source: s.source ?? 'exec',
    thread_source: 'user',
    model_provider: 'openai',
    base_instructions: { text: instructions },
    history_mode: 'paginated',
    context_window: { window_id: s.id },
  };
  return JSON.stringify({ timestamp: ts, ordinal: 0, type: 'session_meta', payload });
}

export function rolloutLines(s: RolloutSpec): string[] {
  const lines = [sessionMetaLine(s)];
  const cwd = s.cwd ?? '/work/project';
  const ts = new Date(idTime(s.id)).toISOString();
  const item = (type: string, payload: unknown): string => JSON.stringify({ timestamp: ts, type, payload });
  lines.push(item('event_msg', { type: 'task_started', turn_id: s.id }));
  lines.push(item('response_item', { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<skills_instructions>\n' + 'skill '.repeat(500) }] }));
  lines.push(item('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: `<environment_context>\n  <cwd>${cwd}</cwd>\n  <shell>bash</shell>\n</environment_context>` }] }));
  lines.push(item('turn_context', { cwd, approval_policy: 'never', model: 'gpt-5' }));
  if (s.userMessage !== undefined) {
    if (s.style === 'legacy') {
      lines.push(item('event_msg', { type: 'user_message', message: s.userMessage, images: [] }));
    } else {
      lines.push(item('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: s.userMessage }] }));
      lines.push(item('event_msg', { type: 'item_completed', item: { type: 'UserMessage', content: [{ type: 'text', text: s.userMessage }] } }));
    }
    lines.push(item('response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done.' }] }));
  }
  return lines;
}

export function idTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** `sessions/YYYY/MM/DD` of a time in local time, as Codex names them. */
export function localDayDir(home: string, ms: number): string {
  const d = new Date(ms);
  return path.join(home, 'sessions', String(d.getFullYear()), String(d.getMonth() + 1).padStart(2, '0'), String(d.getDate()).padStart(2, '0'));
}

export function rolloutName(id: string): string {
  const d = new Date(idTime(id));
  const p = (n: number): string => String(n).padStart(2, '0');
  return `rollout-${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}-${id}.jsonl`;
}

/** Writes a rollout where Codex would (or in `dir`) and returns its path. */
export function writeRollout(home: string, s: RolloutSpec, options: { dir?: string; content?: string } = {}): string {
  const dir = options.dir ?? localDayDir(home, idTime(s.id));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, rolloutName(s.id));
  fs.writeFileSync(file, options.content ?? rolloutLines(s).join('\n') + '\n');
  return file;
}

export function writeLock(home: string, id: string): string {
  const dir = path.join(home, 'thread-writer-locks');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${id}.lock`);
  fs.writeFileSync(file, '');
  return file;
}

export function removeLock(home: string, id: string): void {
  fs.rmSync(path.join(home, 'thread-writer-locks', `${id}.lock`), { force: true });
}

export function setMtime(file: string, ms: number): void {
  fs.utimesSync(file, ms / 1000, ms / 1000);
}

// ---- flock holders (util-linux `flock`), like Codex holding its thread lock ----

export function hasFlock(): boolean {
  return spawnSync('flock', ['--version']).status === 0;
}

export class LockHolder {
  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {}

  /** Starts `flock -x <file>` holding the lock until `stop`, and waits until it holds it. */
  static async start(file: string): Promise<LockHolder> {
    // Own process group, so stop() reaches the sleeping child too (it inherits no lock: -o).
    const proc = spawn('flock', ['-x', '-o', file, 'sh', '-c', 'echo held; exec sleep 600'], { detached: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('flock did not take the lock')), 10_000);
      proc.stdout.on('data', () => {
        clearTimeout(timer);
        resolve();
      });
      proc.on('error', reject);
    });
    return new LockHolder(proc);
  }

  /** Kills the holder (as if Codex were SIGKILLed): the lock file stays, the flock goes. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
      return;
    }
    const exited = new Promise((r) => this.proc.once('exit', r));
    try {
      process.kill(-(this.proc.pid ?? 0), 'SIGKILL');
    } catch {
      this.proc.kill('SIGKILL');
    }
    await exited;
  }
}

// ---- state database (sqlite3 CLI) ----

export function hasSqlite3(): boolean {
  return spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;
}

export function sqlite(db: string, sql: string): string {
  const r = spawnSync('sqlite3', ['-batch', db], { input: sql, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) {
    throw new Error(`sqlite3 is needed for these tests (apt-get install sqlite3): ${r.error.message}`);
  }
  if (r.status !== 0) {
    throw new Error(`sqlite3 failed: ${r.stderr}`);
  }
  return r.stdout;
}

/** Codex 0.169's threads table as it was created, then grown by ALTER TABLE like Codex's migrations. */
export const CODEX_STATE_SCHEMA = `
PRAGMA journal_mode=WAL;
CREATE TABLE threads (
    id TEXT PRIMARY KEY,
    rollout_path TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    model_provider TEXT NOT NULL,
    cwd TEXT NOT NULL,
    title TEXT NOT NULL,
    sandbox_policy TEXT NOT NULL,
    approval_mode TEXT NOT NULL,
    tokens_used INTEGER NOT NULL DEFAULT 0,
    has_user_event INTEGER NOT NULL DEFAULT 0,
    archived INTEGER NOT NULL DEFAULT 0,
    archived_at INTEGER,
    git_sha TEXT,
    git_branch TEXT,
    git_origin_url TEXT
);
CREATE INDEX idx_threads_created_at ON threads(created_at DESC, id DESC);
CREATE INDEX idx_threads_updated_at ON threads(updated_at DESC, id DESC);
ALTER TABLE threads ADD COLUMN cli_version TEXT NOT NULL DEFAULT '';
ALTER TABLE threads ADD COLUMN first_user_message TEXT NOT NULL DEFAULT '';
ALTER TABLE threads ADD COLUMN created_at_ms INTEGER;
ALTER TABLE threads ADD COLUMN updated_at_ms INTEGER;
ALTER TABLE threads ADD COLUMN preview TEXT NOT NULL DEFAULT '';
ALTER TABLE threads ADD COLUMN name TEXT;
ALTER TABLE threads ADD COLUMN thread_section_id TEXT
    REFERENCES thread_sections(id) ON DELETE SET NULL;
ALTER TABLE threads ADD COLUMN originator TEXT;
CREATE INDEX idx_threads_updated_at_ms ON threads(updated_at_ms DESC, id DESC);
CREATE TABLE thread_spawn_edges (
    parent_thread_id TEXT NOT NULL,
    child_thread_id TEXT NOT NULL PRIMARY KEY,
    status TEXT NOT NULL
);
CREATE INDEX idx_thread_spawn_edges_parent_status ON thread_spawn_edges(parent_thread_id, status);
`;

export interface DbThread {
  readonly id: string;
  readonly rolloutPath?: string;
  readonly updatedAtMs?: number;
  readonly cwd?: string;
  readonly title?: string;
  readonly name?: string | null;
  readonly firstUserMessage?: string;
  readonly originator?: string;
  readonly cliVersion?: string;
}

export function q(s: string | null | undefined): string {
  return s == null ? 'NULL' : `'${s.replace(/'/g, "''")}'`;
}

export function insertThreadSql(t: DbThread): string {
  const created = idTime(t.id);
  const updated = t.updatedAtMs ?? created;
  return `INSERT INTO threads (id, rollout_path, created_at, updated_at, source, model_provider, cwd, title, sandbox_policy, approval_mode,
    cli_version, first_user_message, created_at_ms, updated_at_ms, preview, name, originator) VALUES (
    ${q(t.id)}, ${q(t.rolloutPath ?? '')}, ${Math.floor(created / 1000)}, ${Math.floor(updated / 1000)}, 'exec', 'openai', ${q(t.cwd ?? '/work/project')},
    ${q(t.title ?? '')}, '{"type":"disabled"}', 'never', ${q(t.cliVersion ?? '0.169.0')}, ${q(t.firstUserMessage ?? t.title ?? '')},
    ${created}, ${updated}, ${q(t.title ?? '')}, ${q(t.name ?? null)}, ${q(t.originator ?? 'codex_exec')});\n`;
}

export function makeStateDb(file: string, threads: readonly DbThread[], edges: readonly [string, string][] = []): void {
  let sql = CODEX_STATE_SCHEMA + 'BEGIN;\n';
  for (const t of threads) {
    sql += insertThreadSql(t);
  }
  for (const [parent, child] of edges) {
    sql += `INSERT INTO thread_spawn_edges VALUES (${q(parent)}, ${q(child)}, 'open');\n`;
  }
  sqlite(file, sql + 'COMMIT;\n');
}

/** A sqlite3 process that keeps the database open (and whatever transaction `sql` left open). */
export class SqliteHolder {
  private readonly proc: ChildProcessWithoutNullStreams;
  private out = '';

  constructor(db: string) {
    this.proc = spawn('sqlite3', ['-batch', db]);
    this.proc.stdout.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
  }

  /** Runs `sql`, then resolves once sqlite3 has executed it. */
  async run(sql: string, timeoutMs = 20_000): Promise<void> {
    const marker = `DONE-${crypto.randomBytes(4).toString('hex')}`;
    this.proc.stdin.write(`${sql}\n.print ${marker}\n`);
    const deadline = Date.now() + timeoutMs;
    while (!this.out.includes(marker)) {
      if (Date.now() > deadline || this.proc.exitCode !== null) {
        throw new Error(`sqlite3 did not finish: ${this.out}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null) {
      return;
    }
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }
}

// ---- events ----

/** Collects events; `next` waits (with a deadline, no fixed sleep) for one that matches. */
export class EventLog {
  readonly events: { at: number; event: ThreadChangeEvent }[] = [];
  private waiters: { pred: (e: ThreadChangeEvent) => boolean; resolve: (e: ThreadChangeEvent) => void }[] = [];
  private readonly sub: { dispose(): void };
  private seen = 0;

  constructor(discovery: CodexThreadDiscovery) {
    this.sub = discovery.onDidChange((event) => {
      this.events.push({ at: Date.now(), event });
      for (const w of [...this.waiters]) {
        if (w.pred(event)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(event);
        }
      }
    });
  }

  /** The first event after the last one returned by `next` that matches, within `timeoutMs`. */
  next(pred: (e: ThreadChangeEvent) => boolean, timeoutMs: number, what = 'event'): Promise<ThreadChangeEvent> {
    for (let i = this.seen; i < this.events.length; i++) {
      if (pred(this.events[i].event)) {
        this.seen = i + 1;
        return Promise.resolve(this.events[i].event);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got: ${JSON.stringify(this.events.map((e) => [e.event.type, e.event.thread.id]))}`));
      }, timeoutMs);
      const done = (e: ThreadChangeEvent): void => {
        clearTimeout(timer);
        this.seen = this.events.length;
        resolve(e);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  of(id: string): string[] {
    return this.events.filter((e) => e.event.thread.id === id).map((e) => e.event.type);
  }

  dispose(): void {
    this.sub.dispose();
  }
}

export function is(type: ThreadChangeEvent['type'], id: string): (e: ThreadChangeEvent) => boolean {
  return (e) => e.type === type && e.thread.id === id;
}

/** A logger that remembers what it was told. */
export function recordingLogger(): { debug(m: string): void; warn(m: string): void; lines: string[] } {
  const lines: string[] = [];
  return { debug: (m) => lines.push(`debug ${m}`), warn: (m) => lines.push(`warn ${m}`), lines };
}
