// Entry point of the `codex-thread-shim` executable (bundled to dist/shim.js). The composition
// root: it picks the thread resolver and the binding sink and hands the process's real streams to
// runShim. Keep it free of logic; keep its imports light (this starts before every MCP server).

import { version } from '../../package.json';
import { ContextStore } from '../core/store/contextStore';
import { resolveStoreRoot } from '../core/store/storeLocation';
import { processInspectorFor } from '../core/resolution/processInfo';
import { resolveThreadAtStartup } from '../core/resolution/resolveThreadAtStartup';
import { isConfigSubcommand, runConfigSubcommand } from './commands';
import { runShim } from './run';
import { StoreBindingSink } from './storeBindingSink';
import type { ThreadResolver } from './types';

const stderrWrite = (text: string): Promise<void> =>
  new Promise((resolve) => {
    process.stderr.write(text, () => resolve());
  });
const report = (line: string): void => {
  process.stderr.write(`codex-thread-shim: ${line}\n`);
};

// Resolution creates the store (its location depends on --codex-home); the sink uses it after.
let store: ContextStore | undefined;
let threadCwd: string | undefined;
const resolveThread: ThreadResolver = async (ctx) => {
  try {
    store = new ContextStore({ root: resolveStoreRoot(ctx.env, undefined, ctx.codexHome), logger: { warn: (m) => report(m) } });
  } catch (err) {
    report(`not recording bindings: ${(err as Error).message}`);
  }
  const result = await resolveThreadAtStartup({
    env: ctx.env,
    server: ctx.serverName,
    cwd: ctx.cwd,
    pid: ctx.shimPid,
    startedAtMs: ctx.startedAtMs,
    waitMs: ctx.waitMs,
    codexHome: ctx.codexHome,
    store,
    inspector: processInspectorFor(),
  });
  threadCwd = result.threadCwd;
  return result;
};

// `wrap`, `unwrap`, `status`: config.toml commands for a person at a terminal (./commands).
if (isConfigSubcommand(process.argv[2])) {
  void runConfigSubcommand(process.argv.slice(2), process.env, process.cwd(), process).then((status) => {
    process.exitCode = status;
  });
} else
runShim({
  argv: process.argv.slice(2),
  scriptPath: process.argv[1],
  env: process.env,
  cwd: process.cwd(),
  version,
  resolveThread,
  sink: new StoreBindingSink(() => store, report, () => threadCwd),
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signals: process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGTERM', 'SIGINT', 'SIGHUP'],
}).then(
  async (status) => {
    // process.exit drops pipe writes still queued: wait for stdout and stderr to take them first.
    await Promise.race([Promise.all([stderrWrite(''), new Promise((r) => process.stdout.write('', r))]), new Promise((r) => setTimeout(r, 2000).unref())]);
    process.exit(status);
  },
  async (e: unknown) => {
    await stderrWrite(`codex-thread-shim: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(70);
  },
);
