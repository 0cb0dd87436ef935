// Process-tree helpers (Linux /proc). Codex runs as node wrapper → native codex → MCP servers,
// and each MCP server gets its own process group, so killing one group is not enough: tests
// collect the whole tree first, then SIGKILL every process and group in it.

import * as fs from 'node:fs';
import { waitFor } from './wait';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Kernel command name (at most 15 chars), e.g. "codex", "node". */
  comm: string;
  state: string;
}

/** `/proc/<pid>/stat`, or undefined when the process is gone (or this is not Linux). */
export function processInfo(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself contain ") ": split at the last one.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { pid, comm: stat.slice(open + 1, close), state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]) };
}

/** Argument vector of a process (from /proc/<pid>/cmdline), or [] when gone. */
export function processArgv(pid: number): string[] {
  try {
    const parts = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return parts.at(-1) === '' ? parts.slice(0, -1) : parts; // each argument ends with a NUL
  } catch {
    return [];
  }
}

function allProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (/^\d+$/.test(name)) {
      const info = processInfo(Number(name));
      if (info) {
        out.push(info);
      }
    }
  }
  return out;
}

export function childPids(pid: number): number[] {
  return allProcesses()
    .filter((p) => p.ppid === pid)
    .map((p) => p.pid);
}

/** Every descendant of `pid` (not `pid` itself), parents before children. */
export function descendantPids(pid: number): number[] {
  const all = allProcesses();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const p of all) {
      if (p.ppid === parent && !out.includes(p.pid)) {
        out.push(p.pid);
        queue.push(p.pid);
      }
    }
  }
  return out;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const info = processInfo(pid);
  return info !== undefined && info.state !== 'Z';
}

/**
 * SIGKILLs `rootPid`, its descendants, and their process groups. The tree is read before any
 * kill: once a parent dies its children are re-parented to PID 1 and can no longer be found.
 * `extraPids` adds processes known by other means (e.g. probe pids from a record file, which
 * may already have been orphaned). Waits until all of them are gone.
 */
export async function killTree(rootPid: number, extraPids: number[] = [], timeoutMs = 5000): Promise<void> {
  const pids = [rootPid, ...descendantPids(rootPid)];
  for (const extra of extraPids) {
    if (!pids.includes(extra)) {
      pids.push(extra, ...descendantPids(extra));
    }
  }
  const groups = new Set<number>();
  for (const pid of pids) {
    const info = processInfo(pid);
    // Never signal our own group (mocha's) or init's.
    if (info && info.pgid > 1 && info.pgid !== process.pid && info.pgid === pid) {
      groups.add(info.pgid);
    }
  }
  for (const pgid of groups) {
    signal(-pgid, 'SIGKILL');
  }
  for (const pid of pids) {
    signal(pid, 'SIGKILL');
  }
  await waitFor(() => pids.every((pid) => !isAlive(pid)), {
    timeoutMs,
    description: `processes ${pids.join(', ')} to die`,
  });
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // already gone
  }
}

/** Waits for a child of `parentPid` whose comm is `comm`, e.g. the native `codex` under the npm wrapper. */
export function waitForChild(parentPid: number, comm: string, timeoutMs = 10_000): Promise<number> {
  return waitFor(
    () => allProcesses().find((p) => p.ppid === parentPid && p.comm === comm && p.state !== 'Z')?.pid,
    { timeoutMs, intervalMs: 10, description: `a "${comm}" child of pid ${parentPid}` },
  );
}
