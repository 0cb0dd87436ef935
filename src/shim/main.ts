// Entry point of the `codex-thread-shim` executable (bundled to dist/shim.js). The composition
// root: it picks the thread resolver and the binding sink and hands the process's real streams to
// runShim. Keep it free of logic; keep its imports light (this starts before every MCP server).

import { version } from '../../package.json';
import { ContextStore } from '../core/store/contextStore';
import { gcIfDue } from '../core/store/gcIfDue';
import { resolveStoreRoot } from '../core/store/storeLocation';
import { processInspectorFor } from '../core/resolution/processInfo';
import { resolveThreadAtStartup } from '../core/resolution/resolveThreadAtStartup';
import { withTimeout } from './bindingSink';
import { isConfigSubcommand, runConfigSubcommand } from './commands';
import { runShim, type ShimResolver } from './run';
import { StoreBindingSink } from './storeBindingSink';

const stderrWrite = (text: string): Promise<void> =>
  new Promise((resolve) => {
    process.stderr.write(text, () => resolve());
  });
const report = (line: string): void => {
  process.stderr.write(`codex-thread-shim: ${line}\n`);
};

/** How long a lock wait may take in the shim before the write is retried later (see StoreBindingSink). */
const SHIM_LOCK_WAIT_MS = 5000;
/** The clean-up at exit is best effort: Codex may SIGKILL the shim soon after its server ends. */
const GC_AT_EXIT_MS = 1000;

// The store lives in the Codex home the resolver finds (or CODEX_THREAD_CONTEXT_DIR); the sink
// and the clean-up at exit use it after.
let store: ContextStore | undefined;
let threadCwd: string | undefined;
const resolveThread: ShimResolver = async (ctx) => {
  const result = await resolveThreadAtStartup({
    env: ctx.env,
    cwd: ctx.cwd,
    pid: ctx.shimPid,
    startedAtMs: ctx.startedAtMs,
    waitMs: ctx.waitMs,
    codexHome: ctx.codexHome,
    codexHomeFixed: ctx.codexHomeFixed,
    setup: (codexHome) => {
      try {
        store = new ContextStore({ root: resolveStoreRoot(ctx.env, undefined, codexHome), codexHome, lockWaitMs: SHIM_LOCK_WAIT_MS, logger: { warn: (m) => report(m) } });
      } catch (err) {
        report(`not recording bindings: ${(err as Error).message}`);
      }
      return { server: ctx.serverNameFor(codexHome), store };
    },
    inspector: processInspectorFor(),
    signal: ctx.signal,
  });
  threadCwd = result.threadCwd;
  return { ...result, serverName: result.server };
};

async function cleanUpStore(): Promise<void> {
  if (store) {
    await withTimeout(gcIfDue(store), GC_AT_EXIT_MS).catch(() => undefined);
  }
}

// `wrap`, `unwrap`, `status`: config.toml commands for a person at a terminal (./commands).
if (isConfigSubcommand(process.argv[2])) {
  void runConfigSubcommand(process.argv.slice(2), process.env, process.cwd(), process).then((status) => {
    process.exitCode = status;
  });
} else {
  relay();
}

/** The relay form: `codex-thread-shim [options] -- <command> [args...]`. */
function relay(): void {
  runShim({
    argv: process.argv.slice(2),
    scriptPath: process.argv[1],
    env: process.env,
    cwd: process.cwd(),
    version,
    resolveThread,
    sink: (reportRecordingProblem) => new StoreBindingSink(() => store, reportRecordingProblem, () => threadCwd),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    signals: process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGTERM', 'SIGINT', 'SIGHUP'],
  }).then(
    async (status) => {
      await cleanUpStore();
      // process.exit drops pipe writes still queued: wait for stdout and stderr to take them first.
      await Promise.race([Promise.all([stderrWrite(''), new Promise((r) => process.stdout.write('', r))]), new Promise((r) => setTimeout(r, 2000).unref())]);
      process.exit(status);
    },
    async (e: unknown) => {
      await stderrWrite(`codex-thread-shim: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(70);
    },
  );
}
