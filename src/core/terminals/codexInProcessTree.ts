// Finds the Codex processes running under a terminal's shell and the thread files they hold open.
// `codex exec` and `codex --no-daemon` keep their thread in their own process, holding
// `<codex home>/thread-writer-locks/<id>.lock`: that is exact. The default TUI runs its threads in
// a shared daemon (`codex app-server --managed-daemon`, at times a child of the first TUI), so its
// own process holds no thread file: then only its start time and working directory are known,
// which the association rules use as hints.
import { execFile } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { parseThreadFile } from '../resolution/codexThreadFiles';
import { isCodexProcess, processInspectorFor, type ProcessInfo, type ProcessInspector } from '../resolution/processInfo';
import { processTree } from '../workspace/processTree';

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

const MAX_PROCESSES = 200;

/** The Codex processes below `rootPid` (the terminal's shell), nearest first. */
export async function codexProcessesUnder(rootPid: number, inspector: ProcessInspector = processInspectorFor()): Promise<CodexInTerminal[]> {
  const descendants = (await processTree([rootPid])).filter((pid) => pid !== rootPid).slice(0, MAX_PROCESSES);
  const found: CodexInTerminal[] = [];
  for (const pid of descendants) {
    const info = await inspector.info(pid);
    if (info && isCodexProcess(info)) {
      found.push(await describe(info, inspector));
    }
  }
  return found;
}

async function describe(info: ProcessInfo, inspector: ProcessInspector): Promise<CodexInTerminal> {
  const locks = (inspector.canListOpenFiles ? await inspector.openFiles(info.pid) : [])
    .map(parseThreadFile)
    .filter((f) => f?.kind === 'lock');
  const [startedAtMs, cwd] = await Promise.all([processStartMs(info.pid), processCwd(info.pid)]);
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

/** When a process started (Unix ms): Linux /proc, macOS `ps`; undefined elsewhere. */
async function processStartMs(pid: number): Promise<number | undefined> {
  if (process.platform === 'linux') {
    const stat = await fsp.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Field 22, starttime, in clock ticks after boot. USER_HZ is 100 on every Linux ABI Node runs on.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const boot = /^btime (\d+)$/m.exec(await fsp.readFile('/proc/stat', 'utf8').catch(() => ''));
    return stat && boot && Number.isFinite(ticks) ? Number(boot[1]) * 1000 + ticks * 10 : undefined;
  }
  if (process.platform === 'darwin') {
    const ms = Date.parse((await run('ps', ['-o', 'lstart=', '-p', String(pid)]))?.trim() ?? '');
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/** A process's working directory: Linux /proc, macOS `lsof`; undefined elsewhere. */
async function processCwd(pid: number): Promise<string | undefined> {
  if (process.platform === 'linux') {
    return fsp.readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  }
  if (process.platform === 'darwin') {
    const out = await run('lsof', ['-a', '-d', 'cwd', '-n', '-P', '-w', '-p', String(pid), '-Fn']);
    return out?.split('\n').find((l) => l.startsWith('n/'))?.slice(1);
  }
  return undefined;
}

function run(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 2000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}
