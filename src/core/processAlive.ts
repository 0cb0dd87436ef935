import * as fs from 'node:fs';

/**
 * True while a process exists and has not exited. A zombie (exited, not yet reaped by its
 * parent) counts as gone: on Linux its state in /proc is 'Z'. EPERM means it exists under
 * another user.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform === 'linux') {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat[stat.lastIndexOf(')') + 2] !== 'Z';
    } catch {
      return false;
    }
  }
  return true;
}

/** `check` asked at most once per pid: for one pass over many records that share pids. */
export function oncePerPid(check: (pid: number) => boolean): (pid: number) => boolean {
  const seen = new Map<number, boolean>();
  return (pid) => {
    let v = seen.get(pid);
    if (v === undefined) {
      v = check(pid);
      seen.set(pid, v);
    }
    return v;
  };
}
