import * as fs from 'node:fs';
import * as path from 'node:path';
import { threadIdOf } from './sessionMeta';
import { SqlValue, SqliteSnapshot } from './sqlite/sqliteFile';
import { IndexSchema, TableSchema } from './sqlite/sqliteSchema';
import { DiscoveryLogger } from './types';

// Codex's state database (`<home>/state_<n>.sqlite`, n = schema version, 5 in Codex 0.169) is an
// optional, read-only source. Discovery reads, by column name so that added, removed or unknown
// columns do not matter:
// - `threads`: id, rollout_path, created_at(_ms), updated_at(_ms), cwd, title, name,
//   first_user_message, cli_version, originator, source, archived — by id through the primary key
//   index, and "updated since" through the index on updated_at_ms (or updated_at);
// - `thread_spawn_edges`: parent_thread_id of a child_thread_id (sub-agents).
// Whatever goes wrong (no file, another layout, a file being rewritten, a huge WAL) makes the
// database unavailable for that call, with a debug log; the rollouts still work.

export interface StateDbThread {
  readonly id: string;
  readonly rolloutPath?: string;
  readonly createdAtMs?: number;
  readonly updatedAtMs?: number;
  readonly cwd?: string;
  /** `title` column: what Codex shows as the thread's title. */
  readonly title?: string;
  /** `name` column: a name the user gave the thread. */
  readonly name?: string;
  readonly firstUserMessage?: string;
  readonly cliVersion?: string;
  readonly originator?: string;
  readonly source?: string;
  readonly archived?: boolean;
  readonly parentThreadId?: string;
}

export interface StateDbQuery {
  thread(id: string): StateDbThread | undefined;
  /** Threads whose updated time is at or after `sinceMs`, newest first, at most `limit`. */
  updatedSince(sinceMs: number, limit: number): StateDbThread[];
}

const STATE_DB = /^state_(\d+)\.sqlite$/;

export class CodexStateDb {
  constructor(
    private readonly codexHome: string,
    private readonly logger: DiscoveryLogger,
  ) {}

  /** The state database file with the highest schema number, if any. */
  locate(): string | undefined {
    let names: string[];
    try {
      names = fs.readdirSync(this.codexHome);
    } catch {
      return undefined;
    }
    let best: { n: number; name: string } | undefined;
    for (const name of names) {
      const m = STATE_DB.exec(name);
      if (m && (!best || Number(m[1]) > best.n)) {
        best = { n: Number(m[1]), name };
      }
    }
    return best ? path.join(this.codexHome, best.name) : undefined;
  }

  /**
   * Runs `fn` against a consistent snapshot of the database; undefined when the database is absent
   * or unusable. When Codex checkpointed or restarted its WAL meanwhile, reads again once.
   */
  read<T>(fn: (q: StateDbQuery) => T): T | undefined {
    const file = this.locate();
    if (!file) {
      return undefined;
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      let snapshot: SqliteSnapshot | undefined;
      try {
        snapshot = SqliteSnapshot.open(file);
        const query = new ThreadsQuery(snapshot);
        const result = fn(query);
        if (!snapshot.isStale()) {
          return result;
        }
        this.logger.debug(`discovery: ${file} changed while being read; reading again`);
      } catch (err) {
        if (snapshot?.isStale() && attempt === 0) {
          continue;
        }
        this.logger.debug(`discovery: state database ${file} not used: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      } finally {
        snapshot?.close();
      }
    }
    return undefined;
  }
}

class ThreadsQuery implements StateDbQuery {
  private readonly threads: TableSchema | undefined;
  private readonly col: Map<string, number>;
  private readonly byId: IndexSchema | undefined;
  private readonly edges: TableSchema | undefined;
  private readonly edgeByChild: IndexSchema | undefined;

  constructor(private readonly db: SqliteSnapshot) {
    this.threads = db.table('threads');
    this.col = new Map((this.threads?.columns ?? []).map((c, i) => [c, i]));
    if (!this.threads || !this.col.has('id')) {
      throw new Error('no threads table with an id column');
    }
    this.byId = db.indexesOn('threads', 'id')[0];
    this.edges = db.table('thread_spawn_edges');
    const edgeCols = this.edges?.columns ?? [];
    if (edgeCols.includes('child_thread_id') && edgeCols.includes('parent_thread_id')) {
      this.edgeByChild = db.indexesOn('thread_spawn_edges', 'child_thread_id')[0];
    }
  }

  thread(id: string): StateDbThread | undefined {
    if (!this.threads || !this.byId) {
      return undefined;
    }
    for (const rowid of this.db.lookupRowids(this.byId, id)) {
      const t = this.toThread(this.db.row(this.threads, rowid));
      if (t?.id === id) {
        return t;
      }
    }
    return undefined;
  }

  updatedSince(sinceMs: number, limit: number): StateDbThread[] {
    if (!this.threads) {
      return [];
    }
    const inMs = this.db.indexesOn('threads', 'updated_at_ms')[0];
    const index = inMs ?? this.db.indexesOn('threads', 'updated_at')[0];
    if (!index) {
      return [];
    }
    const since = inMs ? sinceMs : Math.floor(sinceMs / 1000);
    const rowids: number[] = [];
    // Newest first: forward over a DESC index, backward over an ASC one. Stop at the first older entry.
    this.db.scanIndex(index, !index.columns[0].desc, (key) => {
      const v = key[0];
      if (typeof v !== 'number' || v < since) {
        return typeof v !== 'number' && v !== null ? true : false;
      }
      const rowid = key[key.length - 1];
      if (typeof rowid === 'number') {
        rowids.push(rowid);
      }
      return rowids.length < limit;
    });
    const out: StateDbThread[] = [];
    for (const rowid of rowids) {
      const t = this.toThread(this.db.row(this.threads, rowid));
      if (t) {
        out.push(t);
      }
    }
    return out;
  }

  private parentOf(id: string): string | undefined {
    if (!this.edges || !this.edgeByChild) {
      return undefined;
    }
    const cols = this.edges.columns;
    for (const rowid of this.db.lookupRowids(this.edgeByChild, id)) {
      const row = this.db.row(this.edges, rowid);
      if (row && row[cols.indexOf('child_thread_id')] === id) {
        return threadIdOf(row[cols.indexOf('parent_thread_id')]);
      }
    }
    return undefined;
  }

  private toThread(row: SqlValue[] | undefined): StateDbThread | undefined {
    if (!row) {
      return undefined;
    }
    const get = (name: string): SqlValue | undefined => {
      const i = this.col.get(name);
      return i === undefined ? undefined : row[i];
    };
    const id = threadIdOf(get('id'));
    if (!id) {
      return undefined;
    }
    const ms = (msCol: string, sCol: string): number | undefined => {
      const v = num(get(msCol));
      if (v !== undefined) {
        return v;
      }
      const s = num(get(sCol));
      return s === undefined ? undefined : s * 1000;
    };
    const archived = num(get('archived'));
    const t: StateDbThread = {
      id,
      rolloutPath: text(get('rollout_path')),
      createdAtMs: ms('created_at_ms', 'created_at'),
      updatedAtMs: ms('updated_at_ms', 'updated_at'),
      cwd: text(get('cwd')),
      title: text(get('title')),
      name: text(get('name')),
      firstUserMessage: text(get('first_user_message')),
      cliVersion: text(get('cli_version')),
      originator: text(get('originator')),
      source: text(get('source')),
      archived: archived === undefined ? undefined : archived !== 0,
      parentThreadId: this.parentOf(id),
    };
    for (const k of Object.keys(t) as (keyof StateDbThread)[]) {
      if (t[k] === undefined) {
        delete (t as Partial<Record<keyof StateDbThread, unknown>>)[k];
      }
    }
    return t;
  }
}

function text(v: SqlValue | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: SqlValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
