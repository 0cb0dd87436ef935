// The shim from command line to exit status: parse, name the server, resolve the thread, start
// and supervise the server, report the outcome. Resolver and sink come in from main.ts so that
// this sequence is the same in production and in tests.

import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { expandHome, resolveCodexHome } from '../core/codexHome';
import { isThreadId } from '../core/threadId';
import { GuardedSink, NoopSink, onlyOnce, withTimeout } from './bindingSink';
import { EXIT_UNRESOLVED, EXIT_USAGE, HELP, USAGE, parseArgs, type ShimOptions } from './cli';
import { commandBaseName, serverNameFromConfig } from './configName';
import { StderrTail } from './stderrTail';
import { Supervisor } from './supervisor';
import type { BindingSink, Report, ResolveContext, ResolveResult } from './types';

/**
 * What the shim gives its resolver beyond ResolveContext: the Codex home is only a fallback
 * unless fixed by --codex-home (Codex strips CODEX_HOME; the resolver finds the real one in the
 * Codex ancestor's thread files), the server is named from that home's config.toml, and the
 * deadline aborts `signal`.
 */
export interface ShimResolveContext extends ResolveContext {
  codexHomeFixed: boolean;
  serverNameFor(codexHome: string): string;
  signal: AbortSignal;
}

export interface ShimResolveResult extends ResolveResult {
  /** The Codex home the resolver settled on (default: the fallback it was given). */
  codexHome?: string;
  /** The server's name for that home (default: named from the fallback home). */
  serverName?: string;
}

export type ShimResolver = (ctx: ShimResolveContext) => Promise<ShimResolveResult>;

export interface ShimDeps {
  /** The shim's arguments (process.argv.slice(2)). */
  argv: readonly string[];
  /** process.argv[1]: how the shim itself was started, to find its config.toml entry. */
  scriptPath?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  version: string;
  resolveThread: ShimResolver;
  /** The sink, or a factory given the shim's once-only report for recording problems. */
  sink: BindingSink | ((reportRecordingProblem: Report) => BindingSink);
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Signals to pass on to the server. */
  signals: NodeJS.Signals[];
}

/** Default pause between closing a server's stdin, SIGTERM and SIGKILL (Codex uses 2 s too). */
export const DEFAULT_GRACE_MS = 2000;
/** Codex's own default startup_timeout_sec. */
const STARTUP_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 5 * 60_000;
/** The resolver gets --wait; past this much more, the shim stops waiting for it. */
const RESOLVE_SLACK_MS = 250;
const SINK_FLUSH_MS = 1500;

export async function runShim(deps: ShimDeps): Promise<number> {
  const parsed = parseArgs(deps.argv);
  if (parsed.kind === 'help') {
    deps.stdout.write(HELP + '\n');
    return 0;
  }
  if (parsed.kind === 'version') {
    deps.stdout.write(`codex-thread-shim ${deps.version}\n`);
    return 0;
  }
  if (parsed.kind === 'usage-error') {
    deps.stderr.write(`codex-thread-shim: ${parsed.message}\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const options = parsed.options;
  // The shim's own lines go to stderr (where Codex shows them only with RUST_LOG=info) and into
  // the kept stderr log of the thread's server, where a user can find them.
  const kept: { tail?: StderrTail } = {};
  const early: Buffer[] = [];
  const report = (line: string): void => {
    const text = `codex-thread-shim: ${line}\n`;
    deps.stderr.write(text);
    if (kept.tail) {
      kept.tail.write(Buffer.from(text));
    } else if (early.length < 16) {
      early.push(Buffer.from(text));
    }
  };

  // An explicit --codex-home beats everything; otherwise the resolver reads the Codex home off
  // the thread files its Codex ancestor holds open (Codex does not pass CODEX_HOME to servers),
  // and only falls back to $CODEX_HOME or ~/.codex when it finds none.
  const fixedHome = options.codexHome ? path.resolve(deps.cwd, expandHome(options.codexHome, deps.env)) : undefined;
  const resolution = await resolve(deps, options, fixedHome ?? resolveCodexHome(deps.env), fixedHome !== undefined);
  const codexHome = resolution.codexHome;
  const serverName = resolution.serverName;
  if (resolution.threadless) {
    // Codex's throw-away copy for listing tools: no thread by design, nothing worth a record.
  } else if (resolution.threadId === undefined) {
    const why = resolution.message ?? 'no thread found';
    if (options.ifUnresolved === 'fail') {
      report(`${serverName}: ${why}; not starting the server (--if-unresolved fail)`);
      return EXIT_UNRESOLVED;
    }
    report(`${serverName}: ${why}; starting the server without CODEX_THREAD_ID`);
  } else if (resolution.message) {
    report(`${serverName}: ${resolution.message}`);
  }

  // The sink and its guard share one line for "cannot record" (README: one line, not one per layer).
  const recordingProblem = onlyOnce(report);
  const inner = typeof deps.sink === 'function' ? deps.sink(recordingProblem) : deps.sink;
  const sink = new GuardedSink(resolution.threadless ? new NoopSink() : inner, recordingProblem);
  sink.starting({
    server: serverName,
    shimPid: process.pid,
    threadId: resolution.threadId,
    resolvedBy: resolution.resolvedBy,
    contextFile: resolution.contextFile,
    startedAtMs: Date.now(),
    codexHome,
    cwd: deps.cwd,
  });
  const logPath = sink.stderrLogPath;
  const stderrTail = logPath !== undefined ? new StderrTail(logPath, report) : undefined;
  kept.tail = stderrTail;
  early.splice(0).forEach((b) => stderrTail?.write(b));

  const graceMs = graceFromEnv(deps.env);
  const supervisor = new Supervisor({
    command: options.command,
    args: options.args,
    baseEnv: deps.env,
    threadId: resolution.threadId,
    contextFile: resolution.threadId !== undefined ? resolution.contextFile : undefined,
    onMismatch: options.onMismatch,
    sink,
    report,
    input: deps.stdin,
    output: deps.stdout,
    errorOutput: deps.stderr,
    stderrTail,
    graceMs,
    startupTimeoutMs: STARTUP_TIMEOUT_MS,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
  });
  const forward = (sig: NodeJS.Signals): void => supervisor.forwardSignal(sig);
  for (const sig of deps.signals) {
    process.on(sig, forward);
  }
  try {
    const pid = supervisor.start();
    if (pid !== undefined) {
      sink.running(pid);
    }
    const exit = await supervisor.finished;
    stderrTail?.flushSync();
    await sink.flush(SINK_FLUSH_MS);
    return exit.status;
  } finally {
    for (const sig of deps.signals) {
      process.off(sig, forward);
    }
  }
}

function nameServer(options: ShimOptions, codexHome: string, deps: ShimDeps): string {
  if (options.name !== undefined) {
    return options.name;
  }
  try {
    const fromConfig = serverNameFromConfig(codexHome, deps.cwd, deps.argv, deps.scriptPath);
    if (fromConfig !== undefined) {
      return fromConfig;
    }
  } catch {
    // Fail soft: a config we cannot read only costs the nicer name.
  }
  return commandBaseName(options.command);
}

type Resolved = ResolveResult & { codexHome: string; serverName: string };

/**
 * Runs the resolver with a deadline (its signal aborts there, and the shim stops waiting);
 * anything but a valid id counts as unresolved.
 */
async function resolve(deps: ShimDeps, options: ShimOptions, codexHome: string, codexHomeFixed: boolean): Promise<Resolved> {
  const serverNameFor = (home: string): string => nameServer(options, home, deps);
  const fallback = { codexHome, serverName: serverNameFor(codexHome) };
  const deadline = new AbortController();
  try {
    const result = await withTimeout(
      deps.resolveThread({
        serverName: fallback.serverName,
        serverNameFor,
        command: options.command,
        args: options.args,
        codexHome,
        codexHomeFixed,
        env: deps.env,
        waitMs: options.waitMs,
        shimPid: process.pid,
        parentPid: process.ppid,
        startedAtMs: Math.round(Date.now() - process.uptime() * 1000),
        cwd: deps.cwd,
        signal: deadline.signal,
      }),
      options.waitMs + RESOLVE_SLACK_MS,
    );
    const found = {
      codexHome: typeof result.codexHome === 'string' && result.codexHome !== '' ? result.codexHome : codexHome,
      serverName: typeof result.serverName === 'string' && result.serverName !== '' ? result.serverName : fallback.serverName,
    };
    if (result.threadId === undefined || result.threadless) {
      return { ...result, ...found, threadId: undefined, resolvedBy: 'unresolved' };
    }
    const id = String(result.threadId).trim().toLowerCase();
    if (!isThreadId(id)) {
      return { ...found, resolvedBy: 'unresolved', message: `the resolver returned a value that is not a thread id: ${JSON.stringify(String(result.threadId).slice(0, 80))}` };
    }
    return { ...result, ...found, threadId: id };
  } catch (e) {
    return { ...fallback, resolvedBy: 'unresolved', message: `thread resolution failed: ${(e as Error)?.message ?? String(e)}` };
  } finally {
    deadline.abort(); // a resolver still running past its deadline claims nothing more
  }
}

/**
 * CODEX_THREAD_SHIM_GRACE_MS shortens or lengthens the stop sequence (tests use it; a server
 * that needs longer to shut down cleanly can too). Not in --help: Codex itself only waits 2 s.
 */
function graceFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.CODEX_THREAD_SHIM_GRACE_MS;
  const n = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isFinite(n) && n <= 60_000 ? n : DEFAULT_GRACE_MS;
}
