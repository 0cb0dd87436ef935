// A stdio MCP server that tells tests what Codex did to it: how it was started (environment,
// cwd, parent), the raw `initialize` params, and the raw `_meta` of every tools/call. It appends
// JSON lines to a record file (see probeRecords.ts for the format and the readers).
//
//   node out/test/support/probeServer.js [<recordFile> [<name>]]
//
// The record file may instead come from PROBE_RECORD_FILE and the name from PROBE_NAME. Codex
// starts MCP servers with an allowlisted environment, so such variables must be set through the
// server's `env = {...}` table in config.toml, not in the test's own environment.
//
// Tools: `whoami` (its pid, CODEX_THREAD_ID and the call's _meta.threadId) and `wait` (sleeps
// `ms`, so a test can look around while Codex is inside a call).

import * as fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import {
  PROBE_LIST_DIR_ENV,
  PROBE_NAME_ENV,
  PROBE_RECORD_FILE_ENV,
  PROBE_REQUIRE_THREAD_ID_ENV,
  PROBE_SELECTED_ENV,
  type ProbeRecord,
} from './probeRecords';

const recordFile = process.argv[2] || process.env[PROBE_RECORD_FILE_ENV];
const name = process.argv[3] || process.env[PROBE_NAME_ENV] || null;

type WithoutBase<R> = R extends ProbeRecord ? Omit<R, 'pid' | 'time' | 'name'> : never;

function record(entry: WithoutBase<ProbeRecord>): void {
  if (!recordFile) {
    return;
  }
  // One appendFileSync per record: a single write(2) on an O_APPEND file, so lines written by
  // several probe processes sharing the file never interleave.
  const line = JSON.stringify({ ...entry, pid: process.pid, time: Date.now(), name }) + '\n';
  fs.appendFileSync(recordFile, line);
}

function selectedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of PROBE_SELECTED_ENV) {
    const value = process.env[key];
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

function listDir(dir: string | undefined): string[] | null {
  if (!dir) {
    return null;
  }
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

let exiting = false;
function exitWith(reason: string, code: number): void {
  if (exiting) {
    return;
  }
  exiting = true;
  try {
    record({ event: 'exit', reason });
  } finally {
    process.exit(code);
  }
}

async function main(): Promise<void> {
  if (!recordFile) {
    process.stderr.write('probeServer: no record file (argv[2] or PROBE_RECORD_FILE)\n');
  }
  record({
    event: 'start',
    ppid: process.ppid,
    cwd: process.cwd(),
    argv: process.argv.slice(2),
    env: selectedEnv(),
    envNames: Object.keys(process.env).sort(),
    listing: listDir(process.env[PROBE_LIST_DIR_ENV]),
    processStartTime: Math.round(Date.now() - process.uptime() * 1000),
  });

  if (process.env[PROBE_REQUIRE_THREAD_ID_ENV] === '1' && !process.env.CODEX_THREAD_ID) {
    // Models the servers this project exists for: they refuse to run without a thread id.
    record({ event: 'refused', reason: 'CODEX_THREAD_ID is not set' });
    process.stderr.write('probeServer: CODEX_THREAD_ID is not set\n');
    process.exit(3);
  }

  const server = new McpServer({ name: 'probe', version: '1.0.0' });
  // The raw _meta of the call being handled, keyed by JSON-RPC id (captured before the SDK parses it).
  const rawMeta = new Map<string | number, Record<string, unknown> | undefined>();

  const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] });

  server.registerTool(
    'whoami',
    { description: 'Returns the pid and thread id of this MCP server process.' },
    (extra) => {
      const meta = rawMeta.get(extra.requestId);
      return text({
        pid: process.pid,
        name,
        threadId: process.env.CODEX_THREAD_ID ?? null,
        metaThreadId: typeof meta?.threadId === 'string' ? meta.threadId : null,
      });
    },
  );

  server.registerTool(
    'wait',
    { description: 'Sleeps for ms milliseconds, then returns.', inputSchema: { ms: z.number().int().min(0).max(60_000) } },
    async ({ ms }) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return text({ pid: process.pid, waitedMs: ms });
    },
  );

  const transport = new StdioServerTransport();
  await server.connect(transport);

  // Wrap the handler the SDK just installed, so the record holds the request exactly as sent
  // (the SDK's parsed `extra._meta` is schema-filtered). connect() resolves before any stdin data
  // is processed, so no message can slip past.
  const sdkOnMessage = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    observe(message, rawMeta);
    sdkOnMessage?.(message);
  };

  // The SDK does not end the process when its client goes away; a test fixture must.
  process.stdin.on('end', () => exitWith('stdin-end', 0));
  process.stdin.on('close', () => exitWith('stdin-end', 0));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => exitWith(signal, 0));
  }
}

function observe(message: JSONRPCMessage, rawMeta: Map<string | number, Record<string, unknown> | undefined>): void {
  if (!('method' in message) || !('id' in message)) {
    return;
  }
  const params = (message.params ?? {}) as Record<string, unknown>;
  if (message.method === 'initialize') {
    record({ event: 'initialize', params });
  } else if (message.method === 'tools/call') {
    const meta = params._meta as Record<string, unknown> | undefined;
    rawMeta.set(message.id, meta);
    record({ event: 'call', tool: String(params.name), arguments: params.arguments, meta, requestId: message.id });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`probeServer: ${err instanceof Error ? err.stack : String(err)}\n`);
  exitWith('error', 1);
});
