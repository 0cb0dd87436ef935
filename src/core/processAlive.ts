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
