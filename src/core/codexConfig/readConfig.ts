// Reads Codex's config.toml into the servers it configures. Never throws for bad content: a file
// that is not valid TOML gives `error` (line and column) and no servers, so a view can say what is
// wrong instead of showing nothing.

import * as fs from 'node:fs';
import { locateServers, stringArray, stringValue, type ServerLocation } from './locateServers';
import { parseTomlText } from './parseToml';
import { parseShimInvocation } from './shimInvocation';
import type { CodexConfigFile, McpServerConfig } from './types';

export function parseCodexConfig(text: string, file: string): CodexConfigFile {
  const parsed = parseTomlText(text);
  if (!parsed.ok) {
    return { file, exists: true, servers: [], error: parsed.problem };
  }
  return { file, exists: true, servers: locateServers(parsed.ast).map((s) => toServerConfig(s, file)) };
}

export async function readCodexConfigFile(file: string): Promise<CodexConfigFile> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { file, exists: false, servers: [] };
    }
    return { file, exists: true, servers: [], error: { message: `cannot read ${file}: ${(e as Error).message}`, line: 1, column: 1 } };
  }
  return parseCodexConfig(text, file);
}

function toServerConfig(loc: ServerLocation, file: string): McpServerConfig {
  const field = (key: string) => loc.fields.get(key)?.value;
  const command = stringValue(field('command'));
  const args = stringArray(field('args')) ?? [];
  const url = stringValue(field('url'));
  const cwd = stringValue(field('cwd'));
  const enabledNode = field('enabled');
  const enabled = !(enabledNode?.type === 'TOMLValue' && enabledNode.kind === 'boolean' && enabledNode.value === false);
  const invocation = command !== undefined ? parseShimInvocation(command, args) : undefined;
  const server: McpServerConfig = {
    name: loc.name,
    file,
    line: loc.line,
    transport: url !== undefined ? 'http' : 'stdio',
    args,
    enabled,
    wrapped: invocation !== undefined,
  };
  if (command !== undefined) server.command = command;
  if (url !== undefined) server.url = url;
  if (cwd !== undefined) server.cwd = cwd;
  if (invocation) server.inner = invocation.inner;
  return server;
}
