// Just enough of SQLite's CREATE TABLE / CREATE INDEX grammar to learn column names, the rowid
// alias and which columns an index covers. Codex adds columns with ALTER TABLE, which SQLite
// records by editing the stored CREATE TABLE text, so the text is the truth for every version.

export interface TableSchema {
  readonly name: string;
  readonly rootPage: number;
  /** Column names in record order. */
  readonly columns: readonly string[];
  /** Index of the INTEGER PRIMARY KEY column (stored as NULL, value is the rowid), or -1. */
  readonly rowidAlias: number;
  /** Column lists of the PRIMARY KEY / UNIQUE constraints that make `sqlite_autoindex_<t>_<n>`, in order. */
  readonly autoIndexes: readonly (readonly string[])[];
  readonly withoutRowid: boolean;
}

export interface IndexSchema {
  readonly name: string;
  readonly table: string;
  readonly rootPage: number;
  readonly columns: readonly { readonly name: string; readonly desc: boolean }[];
}

const TABLE_CONSTRAINT = /^(constraint|primary|unique|check|foreign)\b/i;

export function parseCreateTable(name: string, rootPage: number, sql: string): TableSchema | undefined {
  const body = parenthesised(sql);
  if (body === undefined) {
    return undefined;
  }
  const after = sql.slice(sql.lastIndexOf(')') + 1);
  const columns: string[] = [];
  const autoIndexes: string[][] = [];
  const columnTypes = new Map<string, string>();
  let rowidAlias = -1;
  for (const part of splitTopLevel(body)) {
    const def = part.trim();
    if (!def) {
      continue;
    }
    if (TABLE_CONSTRAINT.test(def)) {
      const m = /^(?:constraint\s+\S+\s+)?(primary\s+key|unique)\s*\(([^)]*)\)/i.exec(def);
      if (m) {
        const cols = splitTopLevel(m[2]).map((c) => unquote(firstToken(c.trim())).toLowerCase());
        const isPk = /^primary/i.test(m[1]);
        // A single-column INTEGER PRIMARY KEY declared as a table constraint is also the rowid.
        if (isPk && cols.length === 1) {
          const idx = columns.indexOf(cols[0]);
          if (idx >= 0 && columnTypes.get(cols[0]) === 'integer') {
            rowidAlias = idx;
            continue;
          }
        }
        autoIndexes.push(cols);
      }
      continue;
    }
    const colName = unquote(firstToken(def)).toLowerCase();
    const rest = def.slice(firstToken(def).length);
    const type = /^\s*([a-z]+)/i.exec(rest)?.[1]?.toLowerCase() ?? '';
    columnTypes.set(colName, type);
    columns.push(colName);
    if (/\bprimary\s+key\b/i.test(stripQuoted(rest))) {
      if (type === 'integer' && !/\bdesc\b/i.test(stripQuoted(rest))) {
        rowidAlias = columns.length - 1;
      } else {
        autoIndexes.push([colName]);
      }
    } else if (/\bunique\b/i.test(stripQuoted(rest))) {
      autoIndexes.push([colName]);
    }
  }
  const withoutRowid = /without\s+rowid/i.test(after);
  return { name, rootPage, columns, rowidAlias: withoutRowid ? -1 : rowidAlias, autoIndexes, withoutRowid };
}

export function parseCreateIndex(name: string, table: string, rootPage: number, sql: string): IndexSchema | undefined {
  const body = parenthesised(sql);
  if (body === undefined || /\bwhere\b/i.test(sql.slice(sql.lastIndexOf(')') + 1))) {
    return undefined; // partial indexes do not hold every row
  }
  const columns = [];
  for (const part of splitTopLevel(body)) {
    const def = part.trim();
    const token = firstToken(def);
    if (!token || token.startsWith('(')) {
      return undefined; // expression index
    }
    columns.push({ name: unquote(token).toLowerCase(), desc: /\bdesc\s*$/i.test(def) });
  }
  return { name, table, rootPage, columns };
}

/** Text between the first '(' and its matching ')', skipping quoted text. */
function parenthesised(sql: string): string | undefined {
  const start = sql.indexOf('(');
  if (start < 0) {
    return undefined;
  }
  let depth = 0;
  for (let i = start; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      i = skipQuoted(sql, i);
      continue;
    }
    if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) {
        return sql.slice(start + 1, i);
      }
    }
  }
  return undefined;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      i = skipQuoted(text, i);
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
    } else if (c === ',' && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

/** Index of the closing quote of the quoted text starting at `i` (doubled quotes escape). */
function skipQuoted(text: string, i: number): number {
  const close = text[i] === '[' ? ']' : text[i];
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === close) {
      if (close !== ']' && text[j + 1] === close) {
        j++;
        continue;
      }
      return j;
    }
  }
  return text.length;
}

function firstToken(def: string): string {
  const c = def[0];
  if (c === '"' || c === '`' || c === '[' || c === "'") {
    return def.slice(0, skipQuoted(def, 0) + 1);
  }
  return /^[^\s(,]*/.exec(def)?.[0] ?? '';
}

function unquote(token: string): string {
  const c = token[0];
  if (c === '"' || c === '`' || c === "'") {
    return token.slice(1, -1).split(c + c).join(c);
  }
  if (c === '[') {
    return token.slice(1, -1);
  }
  return token;
}

function stripQuoted(text: string): string {
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, "''");
}
