// What the shim can learn about its ancestors: parent pid, program name, open files. Linux reads
// /proc (cheap, no child processes); macOS asks `ps` and `lsof`; Windows has neither, and callers
// fall back to the Codex home's lock files.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Program name: the kernel's comm on Linux, the executable's base name on macOS. */
  name: string;
  /** argv, when readable. */
  argv: string[];
  /** Unix ms when the process started, when known (Linux: 10 ms resolution; macOS: 1 s). */
  startedAtMs?: number;
}

export interface ProcessInspector {
  /** False where open files cannot be listed (Windows, or no /proc and no lsof). */
  readonly canListOpenFiles: boolean;
  info(pid: number): Promise<ProcessInfo | undefined>;
  openFiles(pid: number): Promise<string[]>;
  /** Pids of a process's children (empty when they cannot be listed). */
  children(pid: number): Promise<number[]>;
  /** A process's working directory, when readable. */
  cwd(pid: number): Promise<string | undefined>;
  /** One variable of a process's environment, when readable (Linux only). */
  envVar?(pid: number, name: string): Promise<string | undefined>;
}

function run(cmd: string, args: string[], timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

let bootTime: number | null | undefined;

/** Linux boot time (Unix ms, 1 s resolution) from /proc/stat, read once. */
function bootTimeMs(): number | undefined {
  if (bootTime === undefined) {
    try {
      const m = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
      bootTime = m ? Number(m[1]) * 1000 : null;
    } catch {
      bootTime = null;
    }
  }
  return bootTime ?? undefined;
}

export class LinuxProcessInspector implements ProcessInspector {
  readonly canListOpenFiles = true;

  async info(pid: number): Promise<ProcessInfo | undefined> {
    try {
      const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
      // comm is in parentheses and may itself contain ") ", so split at the last one.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const ppid = Number(fields[1]);
      const argv = (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
      const boot = bootTimeMs();
      // Field 22 of stat (index 19 after the comm): start time in clock ticks (USER_HZ, 100) since boot.
      const startedAtMs = boot !== undefined ? boot + Number(fields[19]) * 10 : undefined;
      return { pid, ppid, name, argv, ...(startedAtMs !== undefined && Number.isFinite(startedAtMs) ? { startedAtMs } : {}) };
    } catch {
      return undefined;
    }
  }

  async openFiles(pid: number): Promise<string[]> {
    // Synchronous on purpose: a Codex app-server may hold thousands of descriptors, and a
    // thousand readlinks queued on libuv's four threads take several times longer than a plain
    // loop. The shim has nothing else to do while it resolves.
    const dir = `/proc/${pid}/fd`;
    let fds: string[];
    try {
      fds = fs.readdirSync(dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const fd of fds) {
      try {
        const link = fs.readlinkSync(`${dir}/${fd}`);
        if (link.startsWith('/')) {
          out.push(link);
        }
      } catch {
        // closed meanwhile
      }
    }
    return out;
  }

  async children(pid: number): Promise<number[]> {
    // A multi-threaded parent (Codex) lists each child under the OS thread that forked it.
    const out: number[] = [];
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
    for (const tid of tasks) {
      try {
        out.push(...fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
      } catch {
        // thread gone, or a kernel without the children file: no siblings known
      }
    }
    return out;
  }

  async cwd(pid: number): Promise<string | undefined> {
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      return undefined;
    }
  }

  async envVar(pid: number, name: string): Promise<string | undefined> {
    try {
      const prefix = `${name}=`;
      const entry = (await fsp.readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').find((e) => e.startsWith(prefix));
      return entry?.slice(prefix.length);
    } catch {
      return undefined;
    }
  }
}

export class DarwinProcessInspector implements ProcessInspector {
  readonly canListOpenFiles = true;

  async info(pid: number): Promise<ProcessInfo | undefined> {
    const out = await run('ps', ['-o', 'ppid=', '-o', 'comm=', '-p', String(pid)]);
    const m = out?.trim().match(/^(\d+)\s+(.*)$/);
    if (!m) {
      return undefined;
    }
    const args = (await run('ps', ['-o', 'args=', '-p', String(pid)]))?.trim() ?? '';
    const elapsed = parseElapsed((await run('ps', ['-o', 'etime=', '-p', String(pid)]))?.trim() ?? '');
    return {
      pid,
      ppid: Number(m[1]),
      name: path.basename(m[2]),
      argv: args ? args.split(/\s+/) : [],
      ...(elapsed !== undefined ? { startedAtMs: Date.now() - elapsed } : {}),
    };
  }

  async openFiles(pid: number): Promise<string[]> {
    const out = await run('lsof', ['-n', '-P', '-w', '-p', String(pid), '-Fn']);
    return (out ?? '')
      .split('\n')
      .filter((l) => l.startsWith('n/'))
      .map((l) => l.slice(1));
  }

  async children(pid: number): Promise<number[]> {
    const out = await run('pgrep', ['-P', String(pid)]);
    return (out ?? '').split('\n').filter(Boolean).map(Number);
  }

  async cwd(pid: number): Promise<string | undefined> {
    const out = await run('lsof', ['-a', '-d', 'cwd', '-n', '-P', '-w', '-p', String(pid), '-Fn']);
    return (out ?? '').split('\n').find((l) => l.startsWith('n/'))?.slice(1);
  }
}

/** `ps -o etime` ([[dd-]hh:]mm:ss) in ms. */
function parseElapsed(text: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(text);
  return m ? (((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3])) * 60 + Number(m[4])) * 1000 : undefined;
}

/** Windows: no open-file view without extra tools; resolution uses the Codex home's lock files. */
export class NoProcessInspector implements ProcessInspector {
  readonly canListOpenFiles = false;
  async info(): Promise<ProcessInfo | undefined> {
    return undefined;
  }
  async openFiles(): Promise<string[]> {
    return [];
  }
  async children(): Promise<number[]> {
    return [];
  }
  async cwd(): Promise<string | undefined> {
    return undefined;
  }
}

export function processInspectorFor(platform: NodeJS.Platform = process.platform): ProcessInspector {
  if (platform === 'linux') {
    return new LinuxProcessInspector();
  }
  if (platform === 'darwin') {
    return new DarwinProcessInspector();
  }
  return new NoProcessInspector();
}

/** True for a process that is the Codex CLI itself (native binary), not its npm wrapper. */
export function isCodexProcess(info: ProcessInfo): boolean {
  const exe = path.basename(info.argv[0] ?? '');
  return info.name === 'codex' || exe === 'codex' || exe === 'codex.exe';
}

/** Walks up from `pid` (exclusive) to the nearest Codex ancestor, at most `maxDepth` steps. */
export async function findCodexAncestor(inspector: ProcessInspector, pid: number, maxDepth = 12): Promise<ProcessInfo | undefined> {
  let current = await inspector.info(pid);
  for (let depth = 0; current && current.ppid > 1 && depth < maxDepth; depth++) {
    const parent = await inspector.info(current.ppid);
    if (!parent) {
      return undefined;
    }
    if (isCodexProcess(parent)) {
      return parent;
    }
    current = parent;
  }
  return undefined;
}

export { isProcessAlive } from '../processAlive';
