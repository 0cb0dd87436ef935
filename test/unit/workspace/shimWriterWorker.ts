// A shim-like writer in its own process: the shim's real StoreBindingSink records a binding,
// `calls` calls (each flushed, so every count reaches the file), and its exit.
//   <root> <cwd> <threadId> <server> <calls>
// Prints "done" when everything is written.
import { ContextStore } from '../../../src/core/store/contextStore';
import { StoreBindingSink } from '../../../src/shim/storeBindingSink';

async function main(): Promise<void> {
  const [root, cwd, threadId, server, callsText] = process.argv.slice(2);
  const store = new ContextStore({ root, lockWaitMs: 120_000 });
  const problems: string[] = [];
  const sink = new StoreBindingSink(() => store, (line) => problems.push(line), () => cwd);
  sink.starting({ server, shimPid: process.pid, threadId, resolvedBy: 'env', startedAtMs: Date.now(), codexHome: root, cwd });
  sink.running(process.pid);
  await sink.flush();
  for (let i = 0; i < Number(callsText); i++) {
    sink.call(Date.now());
    await sink.flush();
  }
  sink.exited(0, null);
  await sink.flush();
  if (problems.length > 0) {
    throw new Error(problems.join('\n'));
  }
  process.stdout.write('done\n');
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
