// Finding and ending the processes of a binding (the shim, the server it started, and whatever
// that server started), for the Stop action on orphaned and duplicate servers. Linux reads /proc;
// macOS asks `ps`; Windows ends only the pids it was given.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { isProcessAlive } from '../processAlive';

function ps(args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('ps', args, { timeout: 3000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** Parent of every process (pid → ppid). */
async function parentTable(): Promise<Map<number, number>> {
  const table = new Map<number, number>();
  if (process.platform === 'linux') {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) {
        continue;
      }
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        table.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
  } else if (process.platform !== 'win32') {
    const out = (await ps(['-A', '-o', 'pid=,ppid='])) ?? '';
    for (const line of out.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)/.exec(line);
      if (m) {
        table.set(Number(m[1]), Number(m[2]));
      }
    }
  }
  return table;
}

/** The given processes and all their descendants that are alive, parents before children. */
export async function processTree(roots: readonly number[]): Promise<number[]> {
  const table = await parentTable();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of table) {
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const seen = new Set<number>();
  const queue = roots.filter((p) => Number.isInteger(p) && p > 1 && isProcessAlive(p));
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) {
      continue;
    }
    seen.add(pid);
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * When a process started (Unix ms), or undefined where that cannot be read. Used to make sure a
 * pid from a record still names the same process and not a later one that reused the number.
 */
export async function processStartTime(pid: number): Promise<number | undefined> {
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      const btime = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
      // USER_HZ is 100 on every Linux Node runs on.
      return btime ? Number(btime[1]) * 1000 + (ticks * 1000) / 100 : undefined;
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') {
    return undefined;
  }
  const out = (await ps(['-o', 'etime=', '-p', String(pid)]))?.trim();
  const m = out ? /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(out) : null;
  if (!m) {
    return undefined;
  }
  const seconds = Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return Date.now() - seconds * 1000;
}

/**
 * True when `pid` is alive and was started no later than `slackMs` after `recordedStartMs`: a
 * pid reused by a newer process is not the one the record means.
 */
export async function isSameProcess(pid: number, recordedStartMs: number, slackMs = 30_000): Promise<boolean> {
  if (!isProcessAlive(pid)) {
    return false;
  }
  const started = await processStartTime(pid);
  return started === undefined || started <= recordedStartMs + slackMs;
}

/** SIGTERM to every pid, then SIGKILL to those still alive after `graceMs`. Resolves with those that survived. */
export async function stopProcesses(pids: readonly number[], graceMs = 2000): Promise<number[]> {
  const send = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  for (const pid of pids) {
    send(pid, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(isProcessAlive)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const pid of pids.filter(isProcessAlive)) {
    send(pid, 'SIGKILL');
  }
  const killDeadline = Date.now() + 1000;
  while (Date.now() < killDeadline && pids.some(isProcessAlive)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return pids.filter(isProcessAlive);
}

/**
 * The live processes of a binding, to stop it: its shim and its server (when the pids still name
 * the processes the record means) and their descendants.
 */
export async function bindingProcessTree(b: { shimPid: number; serverPid?: number; startedAt: string }): Promise<number[]> {
  const started = Date.parse(b.startedAt);
  const roots: number[] = [];
  for (const pid of [b.shimPid, b.serverPid]) {
    if (pid !== undefined && pid > 1 && pid !== process.pid && (await isSameProcess(pid, started))) {
      roots.push(pid);
    }
  }
  return roots.length > 0 ? processTree(roots) : [];
}
