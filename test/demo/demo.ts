// `npm run demo`: the extension in a real VS Code (code-server) over a workspace where real
// Codex threads run, offline. Prints the URL; Ctrl-C (or SIGTERM) stops everything it started.
//
//   node out/test/demo/demo.js [--port N] [--interval-ms N]

import { startDemoEnvironment, type DemoEnvironment } from './demoEnvironment';

function parseArgs(argv: string[]): { port?: number; turnIntervalMs?: number } {
  const out: { port?: number; turnIntervalMs?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--port' && Number.isInteger(value) && value >= 0 && value < 65536) {
      out.port = value;
      i++;
    } else if (argv[i] === '--interval-ms' && Number.isFinite(value) && value >= 0) {
      out.turnIntervalMs = value;
      i++;
    } else {
      throw new Error(`unknown or bad option ${argv[i]} (known: --port N, --interval-ms N)`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const abort = new AbortController();
  const shutdown = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) return;
    process.stderr.write(`\n[demo] ${signal}: stopping code-server, Codex, the MCP servers and the mock model\n`);
    abort.abort();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  let env: DemoEnvironment;
  try {
    env = await startDemoEnvironment({ ...options, signal: abort.signal });
  } catch (err) {
    if (abort.signal.aborted) {
      process.exit(0); // stopped while starting: startDemoEnvironment cleaned up
    }
    throw err;
  }
  abort.signal.addEventListener('abort', () => void env.stop().finally(() => process.exit(0)), { once: true });
  process.stdout.write(
    [
      '',
      `Codex Thread Context demo: open ${env.url}`,
      '',
      `  workspace   ${env.workspace}`,
      `  Codex home  ${env.codexHome}`,
      `  threads     ${env.threads.live.length} live (a tool call every few seconds each), 1 ended (codex exec)`,
      '',
      'Open the Codex Threads view in the activity bar. Ctrl-C stops everything and removes the temp folders.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`[demo] failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
