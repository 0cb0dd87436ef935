// A safety net for the end of a run: processes that escaped the code-server process tree but
// belong to this run's temp root (re-parented to PID 1), such as the Codex TUI's background
// app-server daemon, which a terminal test starts from the Codex home and which outlives the TUI.
// A process belongs to the run when its executable, its command line or its cwd lies in the root;
// the root is a fresh mkdtemp folder, so nothing else can match.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { killTree } from '../../support/processTree';

function belongsTo(pid: number, root: string): boolean {
  const inside = (p: string) => p === root || p.startsWith(root + path.sep);
  try {
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => arg.includes(root))) return true;
    if (inside(fs.readlinkSync(`/proc/${pid}/exe`))) return true;
    return inside(fs.readlinkSync(`/proc/${pid}/cwd`));
  } catch {
    return false; // gone, or not ours to read
  }
}

/** Kills (SIGKILL, with their trees) the processes that belong to `root`. Linux only; never throws. */
export async function killStrayProcesses(root: string): Promise<number[]> {
  if (process.platform !== 'linux') return [];
  const pids = fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid && belongsTo(pid, root));
  for (const pid of pids) {
    await killTree(pid).catch(() => undefined);
  }
  return pids;
}
