// A small read-only reader of SQLite database files (format 3), written for Codex's state
// database. Why not a library: Node 20 has no `node:sqlite`, VS Code's extension host may or may
// not have it, native addons need a build per platform, and sql.js loads the whole file into
// memory and ignores the write-ahead log (Codex keeps its database in WAL mode, so the newest
// rows live in `<db>-wal` until a checkpoint). This reader:
// - never writes and never takes a lock, so a writer holding the database cannot block it;
// - reads committed frames of the WAL (salt + checksum checked) over the main file, which is
//   what a SQLite reader would see, and ignores uncommitted frames;
// - reads pages on demand (point lookups through indexes, range scans that stop early), with a
//   bound on pages read per snapshot, on b-tree depth, on the WAL size and on one value's size;
// - throws SqliteFormatError for anything it does not understand: the caller treats the database
//   as unavailable. Only UTF-8 databases are read.
import * as fs from 'node:fs';
import { IndexSchema, TableSchema, parseCreateIndex, parseCreateTable } from './sqliteSchema';

export type SqlValue = null | number | bigint | string | Uint8Array;

export class SqliteFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqliteFormatError';
  }
}

export interface SqliteOpenOptions {
  /** The WAL is read (headers and checksums) at open: refuse larger ones. Default 64 MiB. */
  readonly maxWalBytes?: number;
  /** Pages read over the life of one snapshot, to bound work on a corrupt or huge file. Default 100,000. */
  readonly maxPageReads?: number;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const MAX_DEPTH = 24;
const MAX_VALUE_BYTES = 16 * 1024 * 1024;
const PAGE_CACHE_LIMIT = 512;

const enum PageType {
  IndexInterior = 2,
  TableInterior = 5,
  IndexLeaf = 10,
  TableLeaf = 13,
}

interface BtreePage {
  readonly buf: Buffer;
  readonly type: PageType;
  readonly cells: number[]; // offsets of cells within buf
  readonly rightChild: number;
}

/** A consistent, read-only view of a database file (plus its committed WAL frames) as of `open`. */
export class SqliteSnapshot {
  readonly tables = new Map<string, TableSchema>();
  readonly indexes: IndexSchema[] = [];
  private readonly cache = new Map<number, BtreePage>();
  private pageReads = 0;
  private closed = false;

  private constructor(
    private readonly dbPath: string,
    private readonly fd: number,
    private readonly walFd: number | undefined,
    private readonly pageSize: number,
    private readonly usable: number,
    private readonly pageCount: number,
    private readonly walIndex: Map<number, number>,
    private readonly dbStamp: string,
    private readonly walSalt: string | undefined,
    private readonly maxPageReads: number,
  ) {}

  /** Opens `dbPath` read-only. Throws (SqliteFormatError or an fs error) when it cannot be read. */
  static open(dbPath: string, options: SqliteOpenOptions = {}): SqliteSnapshot {
    const fd = fs.openSync(dbPath, fs.constants.O_RDONLY);
    let walFd: number | undefined;
    try {
      const st = fs.fstatSync(fd, { bigint: true });
      if (!st.isFile()) {
        throw new SqliteFormatError('not a regular file');
      }
      const header = Buffer.alloc(100);
      if (fs.readSync(fd, header, 0, 100, 0) < 100 || !header.subarray(0, 16).equals(MAGIC)) {
        throw new SqliteFormatError('not a SQLite 3 database');
      }
      let pageSize = header.readUInt16BE(16);
      if (pageSize === 1) {
        pageSize = 65536;
      }
      if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
        throw new SqliteFormatError(`bad page size ${pageSize}`);
      }
      const usable = pageSize - header[20];
      if (usable < 480) {
        throw new SqliteFormatError('bad reserved space');
      }
      const encoding = header.readUInt32BE(56);
      if (encoding !== 1 && encoding !== 0) {
        throw new SqliteFormatError('only UTF-8 databases are read');
      }
      const fileSize = Number(st.size);
      const inHeaderCount = header.readUInt32BE(28);
      const countValid = inHeaderCount > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
      let pageCount = countValid ? inHeaderCount : Math.floor(fileSize / pageSize);

      let walIndex = new Map<number, number>();
      let walSalt: string | undefined;
      if (header[18] === 2 || header[19] === 2) {
        const wal = readWal(dbPath + '-wal', pageSize, options.maxWalBytes ?? 64 * 1024 * 1024);
        if (wal) {
          walFd = wal.fd;
          walIndex = wal.index;
          walSalt = wal.salt;
          if (wal.pageCount > 0) {
            pageCount = wal.pageCount;
          }
        }
      }
      const snapshot = new SqliteSnapshot(
        dbPath, fd, walFd, pageSize, usable, pageCount, walIndex,
        `${st.ino}:${st.size}:${st.mtimeNs}`, walSalt, options.maxPageReads ?? 100_000,
      );
      snapshot.readSchema();
      return snapshot;
    } catch (err) {
      fs.closeSync(fd);
      if (walFd !== undefined) {
        fs.closeSync(walFd);
      }
      throw err;
    }
  }

  /**
   * True when the files changed in a way that may have mixed page versions into what was read
   * since `open` (a checkpoint wrote the main file, or the WAL was restarted). Appended WAL
   * frames do not count: they are not part of this snapshot.
   */
  isStale(): boolean {
    try {
      const st = fs.statSync(this.dbPath, { bigint: true });
      if (`${st.ino}:${st.size}:${st.mtimeNs}` !== this.dbStamp) {
        return true;
      }
      if (this.walFd !== undefined) {
        const h = Buffer.alloc(32);
        fs.readSync(this.walFd, h, 0, 32, 0);
        return h.toString('hex', 16, 24) !== this.walSalt;
      }
      return false;
    } catch {
      return true;
    }
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.cache.clear();
    fs.closeSync(this.fd);
    if (this.walFd !== undefined) {
      fs.closeSync(this.walFd);
    }
  }

  table(name: string): TableSchema | undefined {
    return this.tables.get(name.toLowerCase());
  }

  /** Indexes of `table` whose first column is `column` (named ones and PRIMARY KEY/UNIQUE autoindexes). */
  indexesOn(table: string, column: string): IndexSchema[] {
    const t = table.toLowerCase();
    const c = column.toLowerCase();
    return this.indexes.filter((ix) => ix.table === t && ix.columns[0]?.name === c);
  }

  /** Rowids of the entries of `index` whose first column equals the text `key`. */
  lookupRowids(index: IndexSchema, key: string): number[] {
    const target = Buffer.from(key, 'utf8');
    const desc = index.columns[0]?.desc ?? false;
    const out: number[] = [];
    const cmpAt = (page: BtreePage, off: number, interior: boolean): number => {
      const c = compareFirstWithText(this.indexPayload(page, off, interior), target);
      return desc ? -c : c;
    };
    const take = (page: BtreePage, off: number, interior: boolean): void => {
      const rec = decodeRecord(this.indexPayload(page, off, interior));
      const rowid = rec[rec.length - 1];
      if (typeof rowid === 'number') {
        out.push(rowid);
      }
    };
    // Index b-tree: cell i of an interior page is an entry; its left child holds entries <= it.
    // Binary search for the first cell >= key, then walk on while cells equal the key.
    const descend = (pgno: number, depth: number): void => {
      const page = this.btreePage(pgno, depth);
      const interior = page.type === PageType.IndexInterior;
      if (!interior && page.type !== PageType.IndexLeaf) {
        throw new SqliteFormatError(`page ${pgno}: expected an index page`);
      }
      let lo = 0;
      let hi = page.cells.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cmpAt(page, page.cells[mid], interior) < 0) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      for (let i = lo; i < page.cells.length; i++) {
        const off = page.cells[i];
        if (interior) {
          descend(page.buf.readUInt32BE(off), depth + 1);
        }
        if (cmpAt(page, off, interior) !== 0) {
          return;
        }
        take(page, off, interior);
      }
      if (interior) {
        descend(page.rightChild, depth + 1);
      }
    };
    descend(index.rootPage, 0);
    return out;
  }

  /** The row with `rowid`, as values in column order (missing trailing columns are null). */
  row(table: TableSchema, rowid: number): SqlValue[] | undefined {
    let pgno = table.rootPage;
    for (let depth = 0; ; depth++) {
      const page = this.btreePage(pgno, depth);
      const leaf = page.type === PageType.TableLeaf;
      if (!leaf && page.type !== PageType.TableInterior) {
        throw new SqliteFormatError(`page ${pgno}: expected a table page`);
      }
      // First cell whose key >= rowid (leaf: the row itself; interior: the child that holds it).
      const keyAt = (off: number): number => (leaf ? readVarint(page.buf, off + readVarint(page.buf, off)[1])[0] : readVarint(page.buf, off + 4)[0]);
      let lo = 0;
      let hi = page.cells.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (keyAt(page.cells[mid]) < rowid) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      if (leaf) {
        const off = page.cells[lo];
        return off !== undefined && keyAt(off) === rowid ? this.shapeRow(table, rowid, decodeRecord(this.tableLeafPayload(page, off))) : undefined;
      }
      pgno = lo < page.cells.length ? page.buf.readUInt32BE(page.cells[lo]) : page.rightChild;
    }
  }

  /** Visits index entries in index order (or reversed); `visit` returns false to stop. */
  scanIndex(index: IndexSchema, reverse: boolean, visit: (key: SqlValue[]) => boolean): void {
    const walk = (pgno: number, depth: number): boolean => {
      const page = this.btreePage(pgno, depth);
      const leaf = page.type === PageType.IndexLeaf;
      if (!leaf && page.type !== PageType.IndexInterior) {
        throw new SqliteFormatError(`page ${pgno}: expected an index page`);
      }
      const cells = reverse ? [...page.cells].reverse() : page.cells;
      if (!leaf && reverse && !walk(page.rightChild, depth + 1)) {
        return false;
      }
      for (const off of cells) {
        if (!leaf && !reverse && !walk(page.buf.readUInt32BE(off), depth + 1)) {
          return false;
        }
        if (!visit(decodeRecord(this.indexPayload(page, off, !leaf)))) {
          return false;
        }
        if (!leaf && reverse && !walk(page.buf.readUInt32BE(off), depth + 1)) {
          return false;
        }
      }
      if (!leaf && !reverse) {
        return walk(page.rightChild, depth + 1);
      }
      return true;
    };
    walk(index.rootPage, 0);
  }

  /** Visits every row in rowid order; `visit` returns false to stop. */
  scanTable(table: TableSchema, visit: (rowid: number, values: SqlValue[]) => boolean): void {
    this.scanTableRoot(table.rootPage, (rowid, payload) => visit(rowid, this.shapeRow(table, rowid, decodeRecord(payload))));
  }

  private scanTableRoot(root: number, visit: (rowid: number, payload: Buffer) => boolean): void {
    const walk = (pgno: number, depth: number): boolean => {
      const page = this.btreePage(pgno, depth);
      if (page.type === PageType.TableLeaf) {
        for (const off of page.cells) {
          const [, n1] = readVarint(page.buf, off);
          const [rowid] = readVarint(page.buf, off + n1);
          if (!visit(rowid, this.tableLeafPayload(page, off))) {
            return false;
          }
        }
        return true;
      }
      if (page.type !== PageType.TableInterior) {
        throw new SqliteFormatError(`page ${pgno}: expected a table page`);
      }
      for (const off of page.cells) {
        if (!walk(page.buf.readUInt32BE(off), depth + 1)) {
          return false;
        }
      }
      return walk(page.rightChild, depth + 1);
    };
    walk(root, 0);
  }

  private readSchema(): void {
    const pending: { type: string; name: string; table: string; root: number; sql: string | null }[] = [];
    this.scanTableRoot(1, (_rowid, payload) => {
      const [type, name, table, root, sql] = decodeRecord(payload);
      if (typeof type === 'string' && typeof name === 'string' && typeof table === 'string' && typeof root === 'number') {
        pending.push({ type, name: name.toLowerCase(), table: table.toLowerCase(), root, sql: typeof sql === 'string' ? sql : null });
      }
      return pending.length < 10_000;
    });
    for (const e of pending) {
      if (e.type === 'table' && e.sql && e.root > 0) {
        const t = parseCreateTable(e.name, e.root, e.sql);
        if (t && !t.withoutRowid) {
          this.tables.set(e.name, t);
        }
      }
    }
    for (const e of pending) {
      if (e.type !== 'index' || e.root <= 0) {
        continue;
      }
      if (e.sql) {
        const ix = parseCreateIndex(e.name, e.table, e.root, e.sql);
        if (ix) {
          this.indexes.push(ix);
        }
        continue;
      }
      // sqlite_autoindex_<table>_<n>: the n-th PRIMARY KEY/UNIQUE constraint of the table.
      const m = /^sqlite_autoindex_(.+)_(\d+)$/.exec(e.name);
      const cols = m ? this.tables.get(e.table)?.autoIndexes[Number(m[2]) - 1] : undefined;
      if (cols) {
        this.indexes.push({ name: e.name, table: e.table, rootPage: e.root, columns: cols.map((name) => ({ name, desc: false })) });
      }
    }
  }

  private shapeRow(table: TableSchema, rowid: number, values: SqlValue[]): SqlValue[] {
    const row = values.slice(0, table.columns.length);
    while (row.length < table.columns.length) {
      row.push(null);
    }
    if (table.rowidAlias >= 0) {
      row[table.rowidAlias] = rowid;
    }
    return row;
  }

  private btreePage(pgno: number, depth: number): BtreePage {
    if (depth > MAX_DEPTH) {
      throw new SqliteFormatError('b-tree too deep (corrupt?)');
    }
    const cached = this.cache.get(pgno);
    if (cached) {
      return cached;
    }
    const buf = this.readPage(pgno);
    const hdr = pgno === 1 ? 100 : 0;
    const type = buf[hdr] as PageType;
    if (type !== PageType.IndexInterior && type !== PageType.TableInterior && type !== PageType.IndexLeaf && type !== PageType.TableLeaf) {
      throw new SqliteFormatError(`page ${pgno}: not a b-tree page (type ${type})`);
    }
    const interior = type === PageType.IndexInterior || type === PageType.TableInterior;
    const count = buf.readUInt16BE(hdr + 3);
    const ptrs = hdr + (interior ? 12 : 8);
    if (ptrs + 2 * count > this.usable) {
      throw new SqliteFormatError(`page ${pgno}: bad cell count`);
    }
    const cells: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const off = buf.readUInt16BE(ptrs + 2 * i);
      if (off < ptrs + 2 * count || off >= this.usable) {
        throw new SqliteFormatError(`page ${pgno}: bad cell offset`);
      }
      cells[i] = off;
    }
    const rightChild = interior ? buf.readUInt32BE(hdr + 8) : 0;
    const page = { buf, type, cells, rightChild };
    if (this.cache.size >= PAGE_CACHE_LIMIT) {
      this.cache.clear();
    }
    this.cache.set(pgno, page);
    return page;
  }

  private readPage(pgno: number): Buffer {
    if (this.closed) {
      throw new SqliteFormatError('snapshot closed');
    }
    if (!Number.isInteger(pgno) || pgno < 1 || pgno > this.pageCount) {
      throw new SqliteFormatError(`page ${pgno} out of range`);
    }
    if (++this.pageReads > this.maxPageReads) {
      throw new SqliteFormatError('page read budget exhausted');
    }
    const buf = Buffer.allocUnsafe(this.pageSize);
    const walOffset = this.walIndex.get(pgno);
    const n = walOffset !== undefined && this.walFd !== undefined
      ? fs.readSync(this.walFd, buf, 0, this.pageSize, walOffset)
      : fs.readSync(this.fd, buf, 0, this.pageSize, (pgno - 1) * this.pageSize);
    if (n < this.pageSize) {
      throw new SqliteFormatError(`page ${pgno}: short read`);
    }
    return buf;
  }

  private tableLeafPayload(page: BtreePage, off: number): Buffer {
    const [size, n1] = readVarint(page.buf, off);
    const [, n2] = readVarint(page.buf, off + n1);
    return this.payload(page.buf, off + n1 + n2, size, this.usable - 35);
  }

  private indexPayload(page: BtreePage, off: number, interior: boolean): Buffer {
    const start = interior ? off + 4 : off;
    const [size, n] = readVarint(page.buf, start);
    return this.payload(page.buf, start + n, size, Math.floor(((this.usable - 12) * 64) / 255) - 23);
  }

  /** Local part of a cell's payload plus its overflow chain. */
  private payload(buf: Buffer, at: number, size: number, maxLocal: number): Buffer {
    if (size < 0 || size > MAX_VALUE_BYTES) {
      throw new SqliteFormatError('payload too large');
    }
    const u = this.usable;
    const minLocal = Math.floor(((u - 12) * 32) / 255) - 23;
    let local = size;
    if (size > maxLocal) {
      const k = minLocal + ((size - minLocal) % (u - 4));
      local = k <= maxLocal ? k : minLocal;
    }
    if (at + local > u || (local < size && at + local + 4 > u)) {
      throw new SqliteFormatError('cell overflows its page');
    }
    if (local === size) {
      return buf.subarray(at, at + size);
    }
    const out = Buffer.allocUnsafe(size);
    buf.copy(out, 0, at, at + local);
    let filled = local;
    let next = buf.readUInt32BE(at + local);
    while (filled < size) {
      if (next === 0) {
        throw new SqliteFormatError('overflow chain ends early');
      }
      const ov = this.readPage(next);
      const take = Math.min(u - 4, size - filled);
      ov.copy(out, filled, 4, 4 + take);
      filled += take;
      next = ov.readUInt32BE(0);
    }
    return out;
  }
}

/** Reads `[value, bytesUsed]` of a SQLite varint (1-9 bytes, big-endian, 64-bit two's complement). */
export function readVarint(buf: Buffer, at: number): [number, number] {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    if (at + i >= buf.length) {
      throw new SqliteFormatError('varint past end of page');
    }
    const b = buf[at + i];
    if (i < 6) {
      v = v * 128 + (b & 0x7f);
      if (b < 0x80) {
        return [v, i + 1];
      }
      continue;
    }
    // Beyond 42 bits: finish in BigInt so that negative and very large values come out right.
    let big = BigInt(v);
    for (let j = i; j < 8; j++) {
      if (at + j >= buf.length) {
        throw new SqliteFormatError('varint past end of page');
      }
      const bj = buf[at + j];
      big = (big << 7n) | BigInt(bj & 0x7f);
      if (bj < 0x80) {
        return [Number(BigInt.asIntN(64, big)), j + 1];
      }
    }
    if (at + 8 >= buf.length) {
      throw new SqliteFormatError('varint past end of page');
    }
    big = (big << 8n) | BigInt(buf[at + 8]);
    return [Number(BigInt.asIntN(64, big)), 9];
  }
  throw new SqliteFormatError('unreachable varint state');
}

/**
 * Compares the first value of a record with a text key in SQLite's order (NULL < numbers < text <
 * blob; text by bytes, i.e. BINARY collation), without decoding the record.
 */
export function compareFirstWithText(p: Buffer, target: Buffer): number {
  const [headerSize, n0] = readVarint(p, 0);
  if (headerSize > p.length || headerSize <= n0) {
    throw new SqliteFormatError('bad record header');
  }
  const [type] = readVarint(p, n0);
  if (type >= 13 && type % 2 === 1) {
    const len = serialLength(type);
    if (headerSize + len > p.length) {
      throw new SqliteFormatError('record value past end');
    }
    return Buffer.compare(p.subarray(headerSize, headerSize + len), target);
  }
  return type >= 12 && type % 2 === 0 ? 1 : -1;
}

/** Decodes a record (header of serial types, then values). */
export function decodeRecord(p: Buffer): SqlValue[] {
  const [headerSize, n0] = readVarint(p, 0);
  if (headerSize > p.length || headerSize < n0) {
    throw new SqliteFormatError('bad record header');
  }
  const out: SqlValue[] = [];
  let h = n0;
  let body = headerSize;
  while (h < headerSize) {
    const [type, n] = readVarint(p, h);
    h += n;
    const len = serialLength(type);
    if (body + len > p.length) {
      throw new SqliteFormatError('record value past end');
    }
    out.push(serialValue(p, body, type, len));
    body += len;
  }
  return out;
}

function serialLength(type: number): number {
  if (type >= 12) {
    return Math.floor((type - 12) / 2);
  }
  return [0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0][type] ?? 0;
}

function serialValue(p: Buffer, at: number, type: number, len: number): SqlValue {
  switch (type) {
    case 0:
      return null;
    case 1:
      return p.readInt8(at);
    case 2:
      return p.readInt16BE(at);
    case 3:
      return p.readIntBE(at, 3);
    case 4:
      return p.readInt32BE(at);
    case 5:
      return p.readIntBE(at, 6);
    case 6: {
      const v = p.readBigInt64BE(at);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case 7:
      return p.readDoubleBE(at);
    case 8:
      return 0;
    case 9:
      return 1;
    case 10:
    case 11:
      throw new SqliteFormatError('reserved serial type');
    default:
      return type % 2 === 0 ? new Uint8Array(p.subarray(at, at + len)) : p.toString('utf8', at, at + len);
  }
}


interface WalState {
  readonly fd: number;
  readonly index: Map<number, number>;
  readonly pageCount: number;
  readonly salt: string;
}

/** Committed frames of a WAL file: page number → offset of the newest committed copy. */
function readWal(walPath: string, pageSize: number, maxBytes: number): WalState | undefined {
  let fd: number;
  try {
    fd = fs.openSync(walPath, fs.constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size > maxBytes) {
      throw new SqliteFormatError(`write-ahead log is ${size} bytes, over the ${maxBytes} byte bound`);
    }
    const header = Buffer.alloc(32);
    if (size < 32 || fs.readSync(fd, header, 0, 32, 0) < 32) {
      fs.closeSync(fd);
      return undefined; // empty WAL: nothing committed in it
    }
    const magic = header.readUInt32BE(0);
    if ((magic & 0xfffffffe) !== 0x377f0682 || header.readUInt32BE(8) !== pageSize) {
      fs.closeSync(fd);
      return undefined; // not a valid WAL for this database: SQLite ignores it too
    }
    const bigEndian = (magic & 1) === 1;
    let [s0, s1] = walChecksum(header, 0, 24, bigEndian, 0, 0);
    if (s0 !== header.readUInt32BE(24) || s1 !== header.readUInt32BE(28)) {
      fs.closeSync(fd);
      return undefined;
    }
    const salt1 = header.readUInt32BE(16);
    const salt2 = header.readUInt32BE(20);
    const frameSize = 24 + pageSize;
    const framesPerChunk = Math.max(1, Math.floor((1024 * 1024) / frameSize));
    const chunk = Buffer.alloc(framesPerChunk * frameSize);
    const index = new Map<number, number>();
    const pending = new Map<number, number>();
    let pageCount = 0;
    let offset = 32;
    scan: while (offset + frameSize <= size) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, offset);
      const frames = Math.floor(n / frameSize);
      if (frames === 0) {
        break;
      }
      for (let f = 0; f < frames; f++) {
        const at = f * frameSize;
        if (chunk.readUInt32BE(at + 8) !== salt1 || chunk.readUInt32BE(at + 12) !== salt2) {
          break scan;
        }
        [s0, s1] = walChecksum(chunk, at, 8, bigEndian, s0, s1);
        [s0, s1] = walChecksum(chunk, at + 24, pageSize, bigEndian, s0, s1);
        if (s0 !== chunk.readUInt32BE(at + 16) || s1 !== chunk.readUInt32BE(at + 20)) {
          break scan;
        }
        pending.set(chunk.readUInt32BE(at), offset + at + 24);
        const commitSize = chunk.readUInt32BE(at + 4);
        if (commitSize > 0) {
          for (const [pg, o] of pending) {
            index.set(pg, o);
          }
          pending.clear();
          pageCount = commitSize;
        }
      }
      offset += frames * frameSize;
    }
    return { fd, index, pageCount, salt: header.toString('hex', 16, 24) };
  } catch (err) {
    fs.closeSync(fd); // every path that closed it already has returned
    throw err;
  }
}

function walChecksum(buf: Buffer, at: number, len: number, bigEndian: boolean, s0: number, s1: number): [number, number] {
  const end = at + len;
  if (bigEndian) {
    for (let i = at; i < end; i += 8) {
      s0 = (s0 + buf.readUInt32BE(i) + s1) >>> 0;
      s1 = (s1 + buf.readUInt32BE(i + 4) + s0) >>> 0;
    }
  } else {
    for (let i = at; i < end; i += 8) {
      s0 = (s0 + buf.readUInt32LE(i) + s1) >>> 0;
      s1 = (s1 + buf.readUInt32LE(i + 4) + s0) >>> 0;
    }
  }
  return [s0, s1];
}
