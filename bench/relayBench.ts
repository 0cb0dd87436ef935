// What the two shim relay benchmarks (shim.ts: near-free endpoints; shimSdk.ts: SDK endpoints)
// share: their command line, the bare Node relay they compare with, the optional native relay,
// and reading a process's peak RSS.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The ways a benchmark reaches its server. */
export type Mode = 'direct' | 'relay' | 'native' | 'shim';

export const MODE_TITLES: Record<Mode, string> = { direct: 'direct', relay: 'bare Node relay', native: 'native relay (C)', shim: 'through the shim' };

/** What each mode runs besides the server: the shim build, the Node relay script, the native relay. */
export interface Launch {
  shim: string;
  relayFile: string;
  /** Node options for the relay's own process (bench/relayGarbage.ts: `--expose-gc`). */
  relayNodeOptions?: string[];
  native?: string;
}

/** The command line (program first) that reaches `server` (a command line too) in `mode`. */
export function launchCommand(mode: Mode, launch: Launch, server: string[]): string[] {
  switch (mode) {
    case 'direct':
      return server;
    case 'relay':
      return [process.execPath, ...(launch.relayNodeOptions ?? []), launch.relayFile, ...server];
    case 'native':
      return [launch.native!, ...server];
    case 'shim':
      return [process.execPath, launch.shim, '--name', 'bench', '--', ...server];
  }
}

export interface RelayBenchArgs {
  runs: number;
  write: boolean;
  /** Only the measures whose name contains this. */
  only: string;
  /** Also measure bench/nativeRelay.c (needs a C compiler). */
  native: boolean;
  /** Another build of the shim to measure. */
  shim?: string;
}

export function parseRelayBenchArgs(argv: string[]): RelayBenchArgs {
  const args: RelayBenchArgs = { runs: 5, write: false, only: '', native: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') {
      args.runs = Number(argv[++i]);
    } else if (a === '--only') {
      args.only = argv[++i];
    } else if (a === '--shim') {
      args.shim = path.resolve(argv[++i]);
    } else if (a === '--write') {
      args.write = true;
    } else if (a === '--native') {
      args.native = true;
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  if (!Number.isInteger(args.runs) || args.runs < 1) {
    throw new Error('--runs wants a whole number of at least 1');
  }
  return args;
}

/**
 * The floor for any relay written in Node: its own stream pipe(), no framing, no inspection.
 * Usage: node relay.js <command> [args...]
 */
export const NODE_RELAY = `
const { spawn } = require('node:child_process');
const c = spawn(process.argv[2], process.argv.slice(3), { stdio: ['pipe', 'pipe', 'inherit'] });
process.stdin.pipe(c.stdin);
c.stdout.pipe(process.stdout);
c.on('exit', (code) => process.exit(code ?? 1));
`;

/** Compiles bench/nativeRelay.c into `dir`; undefined (with the reason on stderr) when it cannot. */
export function buildNativeRelay(root: string, dir: string): string | undefined {
  const out = path.join(dir, 'native-relay');
  try {
    execFileSync('cc', ['-O2', '-o', out, path.join(root, 'bench', 'nativeRelay.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return out;
  } catch (e) {
    console.error(`--native: cannot build bench/nativeRelay.c (${(e as Error).message.split('\n')[0]}); measuring without it`);
    return undefined;
  }
}

/** Peak RSS (VmHWM) of a live process, in bytes; NaN where /proc does not tell. */
export function peakRss(pid: number | null | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
