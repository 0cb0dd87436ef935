// The record file written by the probe MCP server (probeServer.ts) and how tests read it.
// One JSON object per line, appended by every probe process that was given the same file, so a
// test sees each process Codex started, what environment it got and what each call carried.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { McpServerConfig } from './codexTestHome';
import { waitFor } from './wait';

/** Environment variables whose values the probe records (all others: names only). */
export const PROBE_SELECTED_ENV = ['CODEX_THREAD_ID', 'CODEX_SESSION_ID', 'CODEX_THREAD_CONTEXT', 'CODEX_HOME', 'PROBE_NAME'] as const;

/** Env var read by the probe when no record file is given on its command line. */
export const PROBE_RECORD_FILE_ENV = 'PROBE_RECORD_FILE';
/** Optional label ("name") put into every record, so several probes can share one file. */
export const PROBE_NAME_ENV = 'PROBE_NAME';
/** When set to a directory, the start record lists its entries (e.g. `$CODEX_HOME/thread-writer-locks`). */
export const PROBE_LIST_DIR_ENV = 'PROBE_LIST_DIR';
/** When "1", the probe exits with code 3 at start unless CODEX_THREAD_ID is set (a server that needs the id). */
export const PROBE_REQUIRE_THREAD_ID_ENV = 'PROBE_REQUIRE_THREAD_ID';

interface RecordBase {
  pid: number;
  /** Unix ms when the record was written. */
  time: number;
  name: string | null;
}

export interface ProbeStartRecord extends RecordBase {
  event: 'start';
  ppid: number;
  cwd: string;
  argv: string[];
  /** Values of PROBE_SELECTED_ENV; a variable that is not set is absent. */
  env: Partial<Record<(typeof PROBE_SELECTED_ENV)[number], string>>;
  /** Sorted names of every environment variable the process got. */
  envNames: string[];
  /** Entries of PROBE_LIST_DIR at start (null: not asked for; [] also when the directory is missing). */
  listing: string[] | null;
  /** When the probe's process started (Unix ms, from `process.uptime()`): before `time` by Node's boot. */
  processStartTime: number;
}

export interface ProbeRefusedRecord extends RecordBase {
  event: 'refused';
  reason: string;
}

export interface ProbeInitializeRecord extends RecordBase {
  event: 'initialize';
  /** Raw `initialize` params as the client sent them. */
  params: unknown;
}

export interface ProbeCallRecord extends RecordBase {
  event: 'call';
  tool: string;
  arguments: unknown;
  /** Raw `params._meta` of the tools/call request, untouched (undefined when absent). */
  meta: Record<string, unknown> | undefined;
  /** JSON-RPC id of the request. */
  requestId: string | number;
}

export interface ProbeExitRecord extends RecordBase {
  event: 'exit';
  /** What ended it: "stdin-end", "SIGTERM", "SIGINT", ... */
  reason: string;
}

export type ProbeRecord = ProbeStartRecord | ProbeRefusedRecord | ProbeInitializeRecord | ProbeCallRecord | ProbeExitRecord;

/** Absolute path of the compiled probe, to put into `[mcp_servers.X] command/args`. */
export function probeServerScript(): string {
  // Compiled layout: out/test/support/probeRecords.js next to probeServer.js.
  return path.join(__dirname, 'probeServer.js');
}

/**
 * The probe's command line (`node probeServer.js <recordFile> [name]`), e.g. to put behind the
 * shim: `['node', shim, '--', ...probeServerArgv(file)]`.
 */
export function probeServerArgv(recordFile: string, name?: string): string[] {
  return [process.execPath, probeServerScript(), recordFile, ...(name !== undefined ? [name] : [])];
}

export interface ProbeServerOptions {
  /** Where the probe appends its records (absolute path; shared by several probes is fine). */
  recordFile: string;
  /** Label put into each record (PROBE_NAME). */
  name?: string;
  /** A directory whose entries the start record lists, e.g. `home.lockDir`. */
  listDir?: string;
  /** Refuse to start (exit 3) without CODEX_THREAD_ID. */
  requireThreadId?: boolean;
  /** More literal env for the server. */
  env?: Record<string, string>;
  /** Other `[mcp_servers.X]` keys (cwd, timeouts, approval mode). */
  extra?: Omit<McpServerConfig, 'command' | 'args' | 'env'>;
}

/**
 * The `[mcp_servers.X]` entry that runs the probe directly with this Node (no shim). The record
 * file goes in as argv so the probe needs no environment from Codex to find it.
 */
export function probeServerConfig(options: ProbeServerOptions): McpServerConfig {
  const env: Record<string, string> = { ...options.env };
  if (options.name !== undefined) env[PROBE_NAME_ENV] = options.name;
  if (options.listDir !== undefined) env[PROBE_LIST_DIR_ENV] = options.listDir;
  if (options.requireThreadId) env[PROBE_REQUIRE_THREAD_ID_ENV] = '1';
  return {
    startupTimeoutSec: 20,
    ...options.extra,
    command: process.execPath,
    args: [probeServerScript(), options.recordFile],
    ...(Object.keys(env).length > 0 ? { env } : {}),
  };
}

/**
 * Reads every complete record. A half-written last line (a probe appending right now) is ignored,
 * as are lines that are not JSON (nothing else should write there, but a reader must not throw).
 */
export function readProbeRecords(file: string): ProbeRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw err;
  }
  const records: ProbeRecord[] = [];
  const lines = text.split('\n');
  // The last element is '' after a trailing newline, or an incomplete line: skip it either way.
  for (const line of lines.slice(0, -1)) {
    if (!line.trim()) {
      continue;
    }
    try {
      records.push(JSON.parse(line) as ProbeRecord);
    } catch {
      // ignore
    }
  }
  return records;
}

type RecordOf<E extends ProbeRecord['event']> = Extract<ProbeRecord, { event: E }>;

/** Records of one kind, e.g. `recordsOf(file, 'call')`. */
export function recordsOf<E extends ProbeRecord['event']>(file: string, event: E): RecordOf<E>[] {
  return readProbeRecords(file).filter((r): r is RecordOf<E> => r.event === event);
}

/**
 * Waits until a record of kind `event` that satisfies `predicate` is in the file, and returns it.
 * The timeout error lists what the file held, which is usually enough to see what went wrong.
 */
export function waitForProbeRecord<E extends ProbeRecord['event']>(
  file: string,
  event: E,
  predicate: (record: RecordOf<E>) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<RecordOf<E>> {
  return waitFor(() => recordsOf(file, event).find(predicate), {
    timeoutMs,
    intervalMs: 20,
    description: `a probe "${event}" record in ${file}`,
    diagnostics: () => `records so far:\n${describeRecords(readProbeRecords(file))}`,
  });
}

/** Waits until at least `count` records of kind `event` match, and returns all that match. */
export function waitForProbeRecords<E extends ProbeRecord['event']>(
  file: string,
  event: E,
  count: number,
  predicate: (record: RecordOf<E>) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<RecordOf<E>[]> {
  return waitFor(
    () => {
      const found = recordsOf(file, event).filter(predicate);
      return found.length >= count ? found : undefined;
    },
    {
      timeoutMs,
      intervalMs: 20,
      description: `${count} probe "${event}" records in ${file}`,
      diagnostics: () => `records so far:\n${describeRecords(readProbeRecords(file))}`,
    },
  );
}

function describeRecords(records: ProbeRecord[]): string {
  if (records.length === 0) {
    return '  (none: the probe never started, or wrote elsewhere)';
  }
  return records.map((r) => `  ${JSON.stringify(r).slice(0, 400)}`).join('\n');
}
