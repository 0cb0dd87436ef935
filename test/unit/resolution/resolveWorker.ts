// Runs the shim's start-up resolution in its own process and prints the result as JSON.
// argv: <storeRoot> <server> <codexHome> <waitMs> [inspector: auto|none]
import { ContextStore } from '../../../src/core/store/contextStore';
import { resolveThreadAtStartup } from '../../../src/core/resolution/resolveThreadAtStartup';
import { NoProcessInspector, processInspectorFor } from '../../../src/core/resolution/processInfo';

async function main(): Promise<void> {
  const [storeRoot, server, codexHome, waitMs, inspector] = process.argv.slice(2);
  const result = await resolveThreadAtStartup({
    env: process.env,
    cwd: process.cwd(),
    pid: process.pid,
    startedAtMs: Date.now() - process.uptime() * 1000,
    waitMs: Number(waitMs),
    codexHome,
    setup: () => ({ server, store: new ContextStore({ root: storeRoot }) }),
    inspector: inspector === 'none' ? new NoProcessInspector() : processInspectorFor(),
  });
  const { store: _store, ...shown } = result;
  process.stdout.write(JSON.stringify({ pid: process.pid, ...shown }) + '\n');
  if (process.env.HOLD === '1') {
    // Stay alive like a running server, so later resolutions see this binding as live.
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
