// Finds the Codex processes running under a terminal's shell and the thread files they hold open.
// `codex exec` and `codex --no-daemon` keep their thread in their own process, holding
// `<codex home>/thread-writer-locks/<id>.lock`: that is exact. The default TUI runs its threads in
// a shared daemon (parent pid 1), so its process holds no thread file: then only its start time
// and working directory are known, which the association rules use as hints.
import { execFile } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { parseThreadFile } from '../resolution/codexThreadFiles';
import { isCodexProcess, processInspectorFor, type ProcessInfo, type ProcessInspector } from '../resolution/processInfo';

export type CodexMode = 'exec' | 'tui' | 'tui-no-daemon' | 'app-server' | 'other';

export interface CodexInTerminal {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly mode: CodexMode;
  /** Unix ms the process started, when the platform tells. */
  readonly startedAtMs?: number;
  /** Its working directory, when the platform tells. */
  readonly cwd?: string;
  /** Thread ids whose writer lock this process holds open (exact). */
  readonly lockedThreadIds: readonly string[];
  /** The Codex home those locks live in. */
  readonly codexHome?: string;
}

/** Lists child processes; Linux reads /proc, macOS asks `ps`, elsewhere nothing is known. */
export interface ProcessTreeReader extends ProcessInspector {
  children(pid: number): Promise<number[]>;
  startedAtMs(pid: number): Promise<number | undefined>;
  cwd(pid: number): Promise<string | undefined>;
}

const MAX_PROCESSES = 200;

/** The Codex processes at or below `rootPid` (the terminal's shell), nearest first. */
export async function codexProcessesUnder(rootPid: number, reader: ProcessTreeReader = processTreeReaderFor()): Promise<CodexInTerminal[]> {
  const found: CodexInTerminal[] = [];
  const queue = [rootPid];
  const seen = new Set<number>();
  while (queue.length > 0 && seen.size < MAX_PROCESSES) {
    const pid = queue.shift()!;
    if (seen.has(pid)) {
      continue;
    }
    seen.add(pid);
    const info = pid === rootPid ? undefined : await reader.info(pid);
    if (info && isCodexProcess(info)) {
      found.push(await describe(info, reader));
    }
    queue.push(...(await reader.children(pid)));
  }
  return found;
}

async function describe(info: ProcessInfo, reader: ProcessTreeReader): Promise<CodexInTerminal> {
  const locks = (reader.canListOpenFiles ? await reader.openFiles(info.pid) : [])
    .map(parseThreadFile)
    .filter((f) => f?.kind === 'lock');
  const [startedAtMs, cwd] = await Promise.all([reader.startedAtMs(info.pid), reader.cwd(info.pid)]);
  return {
    pid: info.pid,
    argv: info.argv,
    mode: codexMode(info.argv),
    ...(startedAtMs !== undefined ? { startedAtMs } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    lockedThreadIds: [...new Set(locks.map((f) => f!.threadId))],
    ...(locks[0] ? { codexHome: locks[0].codexHome } : {}),
  };
}

/** What a Codex command line runs: the first word that is not an option decides. */
export function codexMode(argv: readonly string[]): CodexMode {
  const words = argv.slice(1);
  const sub = words.find((w) => !w.startsWith('-'));
  if (sub === 'exec' || sub === 'e') {
    return 'exec';
  }
  if (sub === 'app-server' || sub === 'mcp-server') {
    return 'app-server';
  }
  if (sub === undefined || sub === 'resume' || sub === 'fork' || !/^[a-z][a-z-]*$/.test(sub)) {
    // No subcommand (or a prompt as the first word): the interactive TUI.
    return words.includes('--no-daemon') ? 'tui-no-daemon' : 'tui';
  }
  return 'other';
}

class LinuxTreeReader implements ProcessTreeReader {
  private readonly base = processInspectorFor('linux');
  readonly canListOpenFiles = true;
  private bootMs: number | undefined;

  info(pid: number): Promise<ProcessInfo | undefined> {
    return this.base.info(pid);
  }
  openFiles(pid: number): Promise<string[]> {
    return this.base.openFiles(pid);
  }

  async children(pid: number): Promise<number[]> {
    // /proc/<pid>/task/<tid>/children lists the children each thread forked (CONFIG_PROC_CHILDREN,
    // present on common kernels); a process forks from any of its threads.
    let tids: string[];
    try {
      tids = await fsp.readdir(`/proc/${pid}/task`);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const tid of tids) {
      const text = await fsp.readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
      out.push(...text.split(' ').filter(Boolean).map(Number));
    }
    return out;
  }

  async startedAtMs(pid: number): Promise<number | undefined> {
    try {
      const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8');
      // Field 22, starttime, in clock ticks after boot. USER_HZ is 100 on every Linux ABI Node runs on.
      const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      this.bootMs ??= await bootTimeMs();
      return this.bootMs === undefined || !Number.isFinite(ticks) ? undefined : this.bootMs + ticks * 10;
    } catch {
      return undefined;
    }
  }

  async cwd(pid: number): Promise<string | undefined> {
    return fsp.readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  }
}

async function bootTimeMs(): Promise<number | undefined> {
  const text = await fsp.readFile('/proc/stat', 'utf8').catch(() => '');
  const m = /^btime (\d+)$/m.exec(text);
  return m ? Number(m[1]) * 1000 : undefined;
}

function run(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 2000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

class DarwinTreeReader implements ProcessTreeReader {
  private readonly base = processInspectorFor('darwin');
  readonly canListOpenFiles = true;

  info(pid: number): Promise<ProcessInfo | undefined> {
    return this.base.info(pid);
  }
  openFiles(pid: number): Promise<string[]> {
    return this.base.openFiles(pid);
  }
  async children(pid: number): Promise<number[]> {
    const out = await run('pgrep', ['-P', String(pid)]);
    return (out ?? '').split('\n').filter(Boolean).map(Number);
  }
  async startedAtMs(pid: number): Promise<number | undefined> {
    const out = (await run('ps', ['-o', 'lstart=', '-p', String(pid)]))?.trim();
    const ms = out ? Date.parse(out) : NaN;
    return Number.isFinite(ms) ? ms : undefined;
  }
  async cwd(pid: number): Promise<string | undefined> {
    const out = await run('lsof', ['-a', '-d', 'cwd', '-n', '-P', '-w', '-p', String(pid), '-Fn']);
    return out?.split('\n').find((l) => l.startsWith('n/'))?.slice(1);
  }
}

/** Windows and others: no process tree; terminals are matched by command lines and time alone. */
class NoTreeReader implements ProcessTreeReader {
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
  async startedAtMs(): Promise<number | undefined> {
    return undefined;
  }
  async cwd(): Promise<string | undefined> {
    return undefined;
  }
}

export function processTreeReaderFor(platform: NodeJS.Platform = process.platform): ProcessTreeReader {
  if (platform === 'linux') {
    return new LinuxTreeReader();
  }
  if (platform === 'darwin') {
    return new DarwinTreeReader();
  }
  return new NoTreeReader();
}
