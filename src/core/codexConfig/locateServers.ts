// Finds every `mcp_servers.<name>` server in a parsed config.toml and the AST nodes of its keys,
// in each of the ways TOML lets one write a table:
//   [mcp_servers.x]  command = "..."             a table per server
//   [mcp_servers]    x = { command = "..." }     inline table, or x.command = "..." (dotted keys)
//   mcp_servers = { x = { command = "..." } }    all inline, at top level
//   mcp_servers.x.command = "..."                dotted keys at top level
// plus sub-tables such as [mcp_servers.x.env]. The reader turns these into McpServerConfig; the
// editor uses the nodes' source ranges to change values in place.

import type { AST } from 'toml-eslint-parser';
import type { TomlAst } from './parseToml';

export interface ServerField {
  /** The key-value pair as written (its key may be dotted: `x.command = ...`). */
  kv: AST.TOMLKeyValue;
  value: AST.TOMLContentNode;
}

export interface ServerLocation {
  name: string;
  /** 1-based line where the server first appears (its table header, or its first key). */
  line: number;
  /** The server's own keys (`command`, `args`, `url`, ...), not those of its sub-tables. */
  fields: Map<string, ServerField>;
}

const ROOT = 'mcp_servers';

export function locateServers(ast: TomlAst): ServerLocation[] {
  const servers = new Map<string, ServerLocation>();
  const serverAt = (name: string, line: number): ServerLocation => {
    let s = servers.get(name);
    if (!s) {
      s = { name, line, fields: new Map() };
      servers.set(name, s);
    }
    return s;
  };

  const visitKeyValue = (base: readonly string[], kv: AST.TOMLKeyValue): void => {
    const keyPath = [...base, ...kv.key.keys.map(keyName)];
    visitValue(keyPath, kv, kv.value);
  };
  const visitValue = (keyPath: readonly string[], kv: AST.TOMLKeyValue, value: AST.TOMLContentNode): void => {
    if (keyPath[0] !== ROOT) {
      return;
    }
    if (keyPath.length >= 2) {
      const server = serverAt(keyPath[1], kv.loc.start.line);
      if (keyPath.length === 3) {
        server.fields.set(keyPath[2], { kv, value });
        return;
      }
      if (keyPath.length > 3) {
        return;
      }
    }
    if (value.type === 'TOMLInlineTable') {
      for (const inner of value.body) {
        visitKeyValue(keyPath, inner);
      }
    }
  };

  for (const node of ast.body[0].body) {
    if (node.type === 'TOMLKeyValue') {
      visitKeyValue([], node);
      continue;
    }
    // Array tables ([[mcp_servers]]) are not a shape Codex accepts; their keys are skipped.
    if (node.kind !== 'standard') {
      continue;
    }
    const tablePath = node.resolvedKey.map(String);
    if (tablePath[0] === ROOT && tablePath.length >= 2) {
      serverAt(tablePath[1], node.loc.start.line);
    }
    for (const kv of node.body) {
      visitKeyValue(tablePath, kv);
    }
  }
  return [...servers.values()];
}

export function keyName(key: AST.TOMLBare | AST.TOMLQuoted): string {
  return key.type === 'TOMLBare' ? key.name : key.value;
}

/** A string value, or undefined for anything else. */
export function stringValue(node: AST.TOMLContentNode | undefined): string | undefined {
  return node?.type === 'TOMLValue' && node.kind === 'string' ? node.value : undefined;
}

/** An array of strings, or undefined when the node is not one. */
export function stringArray(node: AST.TOMLContentNode | undefined): string[] | undefined {
  if (node?.type !== 'TOMLArray') {
    return undefined;
  }
  const out: string[] = [];
  for (const el of node.elements) {
    const s = stringValue(el);
    if (s === undefined) {
      return undefined;
    }
    out.push(s);
  }
  return out;
}
