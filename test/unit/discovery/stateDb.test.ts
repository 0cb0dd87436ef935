import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SqliteSnapshot } from '../../../src/core/discovery/sqlite/sqliteFile';
import { parseCreateIndex, parseCreateTable } from '../../../src/core/discovery/sqlite/sqliteSchema';
import { CodexStateDb } from '../../../src/core/discovery/stateDb';
import { DbThread, SqliteHolder, insertThreadSql, makeStateDb, q, recordingLogger, removeDir, sqlite, tempDir, uuidV7 } from './fixtures';

// These tests make real SQLite files with the sqlite3 command-line tool (apt-get install sqlite3)
// and read them with the project's own reader.

describe('discovery/sqliteSchema', () => {
  it('reads columns of a table grown by ALTER TABLE, with REFERENCES clauses', () => {
    const t = parseCreateTable('threads', 2, `CREATE TABLE threads (
      id TEXT PRIMARY KEY, "odd, name" TEXT, [br] INTEGER, cnt INTEGER NOT NULL DEFAULT (1+2), note TEXT DEFAULT 'a,b)'
    , thread_section_id TEXT
      REFERENCES thread_sections(id) ON DELETE SET NULL, originator TEXT)`);
    assert.deepEqual(t?.columns, ['id', 'odd, name', 'br', 'cnt', 'note', 'thread_section_id', 'originator']);
    assert.deepEqual(t?.autoIndexes, [['id']]);
    assert.equal(t?.rowidAlias, -1);
  });

  it('knows INTEGER PRIMARY KEY is the rowid, and table constraints', () => {
    assert.equal(parseCreateTable('t', 2, 'CREATE TABLE t (a TEXT, n INTEGER PRIMARY KEY, b)')?.rowidAlias, 1);
    const t = parseCreateTable('t', 2, 'CREATE TABLE t (a TEXT, b TEXT, UNIQUE (a, b), CONSTRAINT pk PRIMARY KEY (b))');
    assert.deepEqual(t?.autoIndexes, [['a', 'b'], ['b']]);
    assert.equal(parseCreateTable('t', 2, 'CREATE TABLE t (a TEXT PRIMARY KEY) WITHOUT ROWID')?.withoutRowid, true);
  });

  it('reads index columns and their order; refuses partial and expression indexes', () => {
    assert.deepEqual(parseCreateIndex('i', 't', 3, 'CREATE INDEX i ON t(updated_at_ms DESC, id DESC)')?.columns, [
      { name: 'updated_at_ms', desc: true }, { name: 'id', desc: true },
    ]);
    assert.equal(parseCreateIndex('i', 't', 3, 'CREATE INDEX i ON t(a) WHERE a > 1'), undefined);
    assert.equal(parseCreateIndex('i', 't', 3, 'CREATE INDEX i ON t((a+1))'), undefined);
  });
});

describe('discovery/stateDb (real SQLite files)', function () {
  this.timeout(60_000);
  let home: string;
  let dbFile: string;
  const holders: SqliteHolder[] = [];
  beforeEach(() => {
    home = tempDir();
    dbFile = path.join(home, 'state_5.sqlite');
  });
  afterEach(async () => {
    for (const h of holders.splice(0)) {
      await h.close();
    }
    removeDir(home);
  });

  const base = Date.UTC(2026, 5, 1);
  const many = (n: number): DbThread[] =>
    Array.from({ length: n }, (_, i) => ({
      id: uuidV7(base + i * 60_000),
      rolloutPath: `/h/sessions/2026/06/01/rollout-${i}.jsonl`,
      updatedAtMs: base + i * 60_000 + 5000,
      title: `task ${i} ` + 'x'.repeat(i % 7 === 0 ? 6000 : 40), // some rows overflow onto other pages
      cwd: `/work/p${i % 5}`,
      originator: i % 2 ? 'codex-tui' : 'codex_exec',
    }));

  it('finds every thread by id through the primary key index, with overflowing rows', () => {
    const threads = many(3000);
    makeStateDb(dbFile, threads);
    const db = new CodexStateDb(home, recordingLogger());
    const found = db.read((query) => threads.filter((_, i) => i % 37 === 0).map((t) => query.thread(t.id)));
    assert.ok(found);
    for (const [k, t] of found.entries()) {
      const want = threads[k * 37];
      assert.equal(t?.id, want.id);
      assert.equal(t?.title, want.title);
      assert.equal(t?.cwd, want.cwd);
      assert.equal(t?.originator, want.originator);
      assert.equal(t?.updatedAtMs, want.updatedAtMs);
      assert.equal(t?.createdAtMs, parseInt(want.id.slice(0, 8) + want.id.slice(9, 13), 16));
      assert.equal(t?.cliVersion, '0.169.0');
      assert.equal(t?.archived, false);
    }
    assert.equal(db.read((query) => query.thread(uuidV7(base - 1))), undefined);
  });

  it('lists recently updated threads newest first through the updated_at index, stopping early', () => {
    const threads = many(2000);
    makeStateDb(dbFile, threads);
    const since = threads[1990].updatedAtMs ?? 0;
    const recent = new CodexStateDb(home, recordingLogger()).read((query) => query.updatedSince(since, 100));
    assert.deepEqual(recent?.map((t) => t.id), threads.slice(1990).reverse().map((t) => t.id));
    const limited = new CodexStateDb(home, recordingLogger()).read((query) => query.updatedSince(0, 3));
    assert.equal(limited?.length, 3);
  });

  it('reads sub-agent parents from thread_spawn_edges', () => {
    const [parent, child, other] = many(3);
    makeStateDb(dbFile, [parent, child, other], [[parent.id, child.id]]);
    const db = new CodexStateDb(home, recordingLogger());
    assert.equal(db.read((query) => query.thread(child.id))?.parentThreadId, parent.id);
    assert.equal(db.read((query) => query.thread(other.id))?.parentThreadId, undefined);
  });

  it('reads committed rows that are still in the write-ahead log, and not uncommitted ones, while a writer holds the database', async () => {
    const threads = many(50);
    makeStateDb(dbFile, threads.slice(0, 10));
    const writer = new SqliteHolder(dbFile);
    holders.push(writer);
    // No checkpoint: committed rows stay in state_5.sqlite-wal. Then an open transaction big
    // enough to spill uncommitted pages into the WAL, and an exclusive lock on top.
    await writer.run(`PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=2;
      BEGIN; ${threads.slice(10, 30).map(insertThreadSql).join('')} COMMIT;
      BEGIN EXCLUSIVE; ${threads.slice(30).map(insertThreadSql).join('')}
      ${Array.from({ length: 300 }, (_, i) => `INSERT INTO thread_spawn_edges VALUES ('${'p'.repeat(500)}', '${i}', 'x');`).join('\n')}`);
    assert.ok(fs.statSync(`${dbFile}-wal`).size > 0);
    const db = new CodexStateDb(home, recordingLogger());
    const started = Date.now();
    const seen = db.read((query) => threads.map((t) => query.thread(t.id)?.id));
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(seen, [...threads.slice(0, 30).map((t) => t.id), ...threads.slice(30).map(() => undefined)]);
  });

  it('reads a rollback-journal database held under an exclusive lock', async () => {
    const threads = many(20);
    makeStateDb(dbFile, threads);
    sqlite(dbFile, 'PRAGMA journal_mode=DELETE;');
    const writer = new SqliteHolder(dbFile);
    holders.push(writer);
    await writer.run(`BEGIN EXCLUSIVE; UPDATE threads SET title = 'uncommitted'; ${insertThreadSql({ id: uuidV7(base - 5) })}`);
    const titles = new CodexStateDb(home, recordingLogger()).read((query) => threads.map((t) => query.thread(t.id)?.title));
    assert.deepEqual(titles, threads.map((t) => t.title));
  });

  it('works with another schema: unknown, missing and reordered columns', () => {
    const id = uuidV7(base);
    sqlite(dbFile, `CREATE TABLE threads (shiny_new TEXT, id TEXT NOT NULL UNIQUE, title TEXT, weird BLOB, updated_at INTEGER);
      CREATE INDEX by_upd ON threads(updated_at);
      INSERT INTO threads VALUES ('x', ${q(id)}, 'hello', x'00ff', ${Math.floor(base / 1000)});
      INSERT INTO threads VALUES ('y', 'not-a-thread-id', 'bad', NULL, ${Math.floor(base / 1000)});`);
    const db = new CodexStateDb(home, recordingLogger());
    assert.deepEqual(db.read((query) => query.thread(id)), { id, title: 'hello', updatedAtMs: Math.floor(base / 1000) * 1000 });
    // ASC index on seconds: read backwards, newest first; the row with a bad id is skipped.
    assert.deepEqual(db.read((query) => query.updatedSince(base - 1000, 10))?.map((t) => t.id), [id]);
  });

  it('is unavailable (undefined, debug log) when absent, not SQLite, truncated, without a threads table, or UTF-16', () => {
    const log = recordingLogger();
    const db = new CodexStateDb(home, log);
    assert.equal(db.read(() => 1), undefined); // absent
    fs.writeFileSync(dbFile, 'definitely not sqlite'.repeat(100));
    assert.equal(db.read(() => 1), undefined);
    makeStateDb(path.join(home, 'full.sqlite'), many(500));
    const full = fs.readFileSync(path.join(home, 'full.sqlite'));
    fs.writeFileSync(dbFile, full.subarray(0, Math.floor(full.length / 3)));
    assert.equal(db.read((query) => many(500).map((t) => query.thread(t.id))), undefined);
    fs.rmSync(dbFile);
    sqlite(dbFile, 'CREATE TABLE other (id TEXT);');
    assert.equal(db.read(() => 1), undefined);
    fs.rmSync(dbFile);
    sqlite(dbFile, "PRAGMA encoding='UTF-16le'; CREATE TABLE threads (id TEXT PRIMARY KEY);");
    assert.equal(db.read(() => 1), undefined);
    assert.ok(log.lines.filter((l) => l.includes('not used')).length >= 4, log.lines.join('\n'));
  });

  it('survives corrupt pages without hanging', () => {
    makeStateDb(dbFile, many(800));
    const good = fs.readFileSync(dbFile);
    const pageSize = good.readUInt16BE(16);
    for (let page = 1; page < good.length / pageSize; page += 3) {
      const bad = Buffer.from(good);
      bad.fill(0xa5, page * pageSize + 3, page * pageSize + 200); // header and cell pointers of one page
      fs.writeFileSync(dbFile, bad);
      new CodexStateDb(home, recordingLogger()).read((query) => many(5).map((t) => query.thread(t.id)));
    }
  });

  it('uses the state database with the highest schema number', () => {
    const [a, b] = many(2);
    makeStateDb(path.join(home, 'state_4.sqlite'), [a]);
    makeStateDb(path.join(home, 'state_12.sqlite'), [b]);
    const db = new CodexStateDb(home, recordingLogger());
    assert.equal(db.locate(), path.join(home, 'state_12.sqlite'));
    assert.equal(db.read((query) => query.thread(b.id))?.id, b.id);
  });

  it('reads large pages and tables with thousands of pages through the generic reader', () => {
    sqlite(dbFile, `PRAGMA page_size=65536; CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);
      WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i < 5000) INSERT INTO t SELECT i, printf('%.*c', i % 300 + 1, 'v') FROM c;`);
    const snap = SqliteSnapshot.open(dbFile);
    try {
      const t = snap.table('t');
      assert.ok(t);
      let n = 0;
      snap.scanTable(t, (rowid, values) => {
        n++;
        assert.equal(values[0], rowid);
        assert.equal((values[1] as string).length, (rowid % 300) + 1);
        return true;
      });
      assert.equal(n, 5000);
      assert.deepEqual(snap.row(t, 4321)?.[1], 'v'.repeat((4321 % 300) + 1));
      assert.equal(snap.row(t, 99999), undefined);
    } finally {
      snap.close();
    }
  });
});
