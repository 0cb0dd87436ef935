// Finds the shim's server name in Codex's config.toml: the `[mcp_servers.X]` table whose command
// line is the one that started this shim. Codex passes no name to the servers it spawns, and the
// name the user chose is what they recognise in Codex's own UI.
//
// The config is read by the project's one TOML reader (src/core/codexConfig). A file it cannot
// read makes this give up quietly: the caller falls back to the command's base name, so a strange
// config can never stop a server from starting.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCodexConfig } from '../core/codexConfig/readConfig';
import { baseName as commandBaseName } from '../core/codexConfig/shimInvocation';

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
export { baseName as commandBaseName } from '../core/codexConfig/shimInvocation';

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

/** The `mcp_servers` tables of a config.toml text, or undefined when it is not valid TOML. */
export function readMcpServers(text: string): ConfiguredServer[] | undefined {
  const parsed = parseCodexConfig(text, '');
  if (parsed.error) {
    return undefined;
  }
  return parsed.servers.map(({ name, command, args, enabled }) => ({ name, command, args, enabled }));
}
