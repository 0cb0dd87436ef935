// Finds the shim's server name in Codex's config.toml: the `[mcp_servers.X]` table whose command
// line is the one that started this shim. Codex passes no name to the servers it spawns, and the
// name the user chose is what they recognise in Codex's own UI.
//
// A full TOML parser would be a dependency in a bundle that must stay small; Codex's config needs
// only a subset: tables, dotted keys, strings (all four kinds), arrays, inline tables. Anything the
// reader does not understand makes it give up quietly: the caller falls back to the command's base
// name, so a strange config can never stop a server from starting.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ConfiguredServer {
  name: string;
  command?: string;
  args?: string[];
  enabled?: boolean;
}

/**
 * The configured name of the server this shim was started as, or undefined.
 * `shimArgs` is the shim's own argument list (process.argv.slice(2)); `shimScript` is
 * process.argv[1]. Looks in `<cwd>/.codex/config.toml` (a project layer) first, then
 * `<codexHome>/config.toml`.
 */
export function serverNameFromConfig(
  codexHome: string,
  cwd: string,
  shimArgs: readonly string[],
  shimScript: string | undefined,
): string | undefined {
  for (const file of [path.join(cwd, '.codex', 'config.toml'), path.join(codexHome, 'config.toml')]) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const servers = readMcpServers(text);
    const name = servers && matchServer(servers, shimArgs, shimScript);
    if (name !== undefined) {
      return name;
    }
  }
  return undefined;
}

/** The command's base name without a Windows executable extension: the last fallback name. */
export function commandBaseName(command: string): string {
  const base = command.split(/[\\/]/).pop() || command;
  return base.replace(/\.(exe|cmd|bat|com)$/i, '') || command;
}

/**
 * Picks the table that launched the shim. Codex runs `command args...`; the shim sees its own
 * arguments, which are the whole of `args` when `command` is the shim itself, or their tail when
 * the shim is reached through `node shim.js ...` or `npx codex-thread-shim ...`. More than one
 * equally good match means we cannot tell: no name rather than a wrong one.
 */
export function matchServer(
  servers: readonly ConfiguredServer[],
  shimArgs: readonly string[],
  shimScript: string | undefined,
): string | undefined {
  const live = servers.filter((s) => s.enabled !== false && s.command !== undefined);
  const scriptBase = shimScript ? commandBaseName(shimScript).replace(/\.[cm]?js$/, '') : undefined;
  const exact = live.filter((s) => sameList(s.args ?? [], shimArgs));
  const levels = [
    exact.filter((s) => scriptBase !== undefined && commandBaseName(s.command!).replace(/\.[cm]?js$/, '') === scriptBase),
    exact,
    live.filter((s) => shimArgs.length > 0 && endsWith(s.args ?? [], shimArgs)),
  ];
  for (const level of levels) {
    if (level.length === 1) {
      return level[0].name;
    }
    if (level.length > 1) {
      return undefined;
    }
  }
  return undefined;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function endsWith(list: readonly string[], tail: readonly string[]): boolean {
  if (tail.length > list.length) {
    return false;
  }
  const offset = list.length - tail.length;
  return tail.every((v, i) => list[offset + i] === v);
}

/** The `mcp_servers` tables of a config.toml text, or undefined when it cannot be read. */
export function readMcpServers(text: string): ConfiguredServer[] | undefined {
  let entries: Entry[];
  try {
    entries = new MiniToml(text).entries();
  } catch {
    return undefined;
  }
  const byName = new Map<string, ConfiguredServer>();
  for (const { key, value } of entries) {
    if (key[0] !== 'mcp_servers' || key.length < 3) {
      continue;
    }
    const name = key[1];
    const server = byName.get(name) ?? { name };
    byName.set(name, server);
    if (key.length !== 3) {
      continue;
    }
    if (key[2] === 'command' && typeof value === 'string') {
      server.command = value;
    } else if (key[2] === 'args' && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      server.args = value as string[];
    } else if (key[2] === 'enabled' && value instanceof Bare) {
      server.enabled = value.text !== 'false';
    }
  }
  return [...byName.values()];
}

/** A value the reader does not interpret (number, boolean, date): kept as its source text. */
class Bare {
  constructor(readonly text: string) {}
}

type Value = string | Bare | Value[] | { [key: string]: Value };

interface Entry {
  key: string[];
  value: Value;
}

class TomlError extends Error {}

class MiniToml {
  private i = 0;
  private table: string[] = [];
  private readonly out: Entry[] = [];

  constructor(private readonly s: string) {}

  entries(): Entry[] {
    const s = this.s;
    while (this.i < s.length) {
      this.skipSpaceAndComments();
      if (this.i >= s.length) {
        break;
      }
      if (s[this.i] === '[') {
        const isArray = s[this.i + 1] === '[';
        this.i += isArray ? 2 : 1;
        this.table = this.keyPath();
        this.expect(isArray ? ']]' : ']');
      } else {
        const key = this.keyPath();
        this.expect('=');
        this.emit([...this.table, ...key], this.value());
      }
      this.skipInline();
      if (this.i < s.length && s[this.i] !== '\n' && s[this.i] !== '\r') {
        throw new TomlError(`unexpected ${s[this.i]} at ${this.i}`);
      }
    }
    return this.out;
  }

  /** Inline tables become dotted keys, so `x = {command = "a"}` and `[x] command = "a"` agree. */
  private emit(key: string[], value: Value): void {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Bare)) {
      for (const [k, v] of Object.entries(value)) {
        this.emit([...key, k], v);
      }
    } else {
      this.out.push({ key, value });
    }
  }

  private keyPath(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipInline();
      const c = this.s[this.i];
      if (c === '"' || c === "'") {
        parts.push(this.string());
      } else {
        const m = /^[A-Za-z0-9_-]+/.exec(this.s.slice(this.i, this.i + 256));
        if (!m) {
          throw new TomlError(`bad key at ${this.i}`);
        }
        parts.push(m[0]);
        this.i += m[0].length;
      }
      this.skipInline();
      if (this.s[this.i] !== '.') {
        return parts;
      }
      this.i++;
    }
  }

  private value(): Value {
    this.skipInline();
    const c = this.s[this.i];
    if (c === '"' || c === "'") {
      return this.string();
    }
    if (c === '[') {
      this.i++;
      const items: Value[] = [];
      for (;;) {
        this.skipSpaceAndComments();
        if (this.s[this.i] === ']') {
          this.i++;
          return items;
        }
        items.push(this.value());
        this.skipSpaceAndComments();
        if (this.s[this.i] === ',') {
          this.i++;
        } else if (this.s[this.i] !== ']') {
          throw new TomlError(`bad array at ${this.i}`);
        }
      }
    }
    if (c === '{') {
      this.i++;
      const table: { [key: string]: Value } = {};
      for (;;) {
        this.skipSpaceAndComments();
        if (this.s[this.i] === '}') {
          this.i++;
          return table;
        }
        const key = this.keyPath();
        this.expect('=');
        setPath(table, key, this.value());
        this.skipSpaceAndComments();
        if (this.s[this.i] === ',') {
          this.i++;
        } else if (this.s[this.i] !== '}') {
          throw new TomlError(`bad inline table at ${this.i}`);
        }
      }
    }
    const m = /^[^\s,\]}#]+/.exec(this.s.slice(this.i, this.i + 256));
    if (!m) {
      throw new TomlError(`bad value at ${this.i}`);
    }
    this.i += m[0].length;
    return new Bare(m[0]);
  }

  private string(): string {
    const s = this.s;
    const quote = s[this.i];
    const multi = s.startsWith(quote.repeat(3), this.i);
    this.i += multi ? 3 : 1;
    if (multi && s[this.i] === '\n') {
      this.i++;
    } else if (multi && s.startsWith('\r\n', this.i)) {
      this.i += 2;
    }
    let out = '';
    for (;;) {
      if (this.i >= s.length) {
        throw new TomlError('unterminated string');
      }
      const c = s[this.i];
      if (multi ? s.startsWith(quote.repeat(3), this.i) : c === quote) {
        this.i += multi ? 3 : 1;
        // A multi-line string may end with one or two quotes of its own kind before the closer.
        while (multi && s[this.i] === quote) {
          out += quote;
          this.i++;
        }
        return out;
      }
      if (!multi && (c === '\n' || c === '\r')) {
        throw new TomlError('newline in string');
      }
      if (c === '\\' && quote === '"') {
        out += this.escape(multi);
        continue;
      }
      out += c;
      this.i++;
    }
  }

  private escape(multi: boolean): string {
    const s = this.s;
    const e = s[this.i + 1];
    this.i += 2;
    switch (e) {
      case 'b': return '\b';
      case 't': return '\t';
      case 'n': return '\n';
      case 'f': return '\f';
      case 'r': return '\r';
      case 'e': return '\x1b';
      case '"': return '"';
      case '\\': return '\\';
      case 'u':
      case 'U': {
        const len = e === 'u' ? 4 : 8;
        const hex = s.slice(this.i, this.i + len);
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) {
          throw new TomlError('bad unicode escape');
        }
        this.i += len;
        return String.fromCodePoint(parseInt(hex, 16));
      }
      default:
        if (multi && /^[ \t]*\r?\n/.test(s.slice(this.i - 1, this.i + 64))) {
          // Line-ending backslash: drop the newline and the whitespace that follows.
          while (this.i < s.length && /\s/.test(s[this.i])) {
            this.i++;
          }
          return '';
        }
        throw new TomlError('bad escape');
    }
  }

  private expect(token: string): void {
    this.skipInline();
    if (!this.s.startsWith(token, this.i)) {
      throw new TomlError(`expected ${token} at ${this.i}`);
    }
    this.i += token.length;
  }

  /** Spaces and tabs, then a comment up to (not including) the end of the line. */
  private skipInline(): void {
    const s = this.s;
    while (s[this.i] === ' ' || s[this.i] === '\t') {
      this.i++;
    }
    if (s[this.i] === '#') {
      while (this.i < s.length && s[this.i] !== '\n') {
        this.i++;
      }
    }
  }

  /** Like skipInline, across line ends too (inside arrays and between statements). */
  private skipSpaceAndComments(): void {
    for (;;) {
      this.skipInline();
      const c = this.s[this.i];
      if (c === '\n' || c === '\r') {
        this.i++;
        continue;
      }
      return;
    }
  }
}

function setPath(table: { [key: string]: Value }, key: string[], value: Value): void {
  let t = table;
  for (const part of key.slice(0, -1)) {
    const next = t[part];
    if (next === undefined) {
      t[part] = {};
    } else if (typeof next !== 'object' || Array.isArray(next) || next instanceof Bare) {
      throw new TomlError('key redefined');
    }
    t = t[part] as { [key: string]: Value };
  }
  t[key[key.length - 1]] = value;
}
