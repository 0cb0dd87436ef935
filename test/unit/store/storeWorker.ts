// A separate process that uses the store, for the multi-process tests.
// Modes:
//   append <root> <cwd> <threadId> <workerName> <count> [staleMs]
//       performs <count> updates, each adding its own binding; prints "done <ms>" at the end.
//   hold <root> <cwd> <threadId> [staleMs]
//       takes the thread's lock, prints "holding", and never lets go (the test SIGKILLs it).
import { ContextStore } from '../../../src/core/store/contextStore';

async function main(): Promise<void> {
  const [mode, root, cwd, id, ...rest] = process.argv.slice(2);
  const problems: string[] = [];
  const staleArg = mode === 'append' ? rest[2] : rest[0];
  const store = new ContextStore({ root, staleMs: staleArg ? Number(staleArg) : undefined, lockWaitMs: 120_000, logger: { warn: (m) => problems.push(m) } });
  const ref = { id, cwd };
  if (mode === 'append') {
    const [name, countText] = rest;
    const started = Date.now();
    for (let i = 0; i < Number(countText); i++) {
      await store.update(ref, (cur) => {
        const ctx = cur ?? store.newContext(ref);
        ctx.bindings.push({
          server: `${name}-${i}`,
          shimPid: process.pid,
          resolvedBy: 'env',
          status: 'running',
          startedAt: new Date().toISOString(),
          callCount: i,
          corrections: [],
        });
        return ctx;
      });
    }
    process.stdout.write(`done ${Date.now() - started}\n`);
  } else if (mode === 'hold') {
    await store.update(ref, async () => {
      process.stdout.write('holding\n');
      setInterval(() => undefined, 60_000); // keeps the process alive: the lock is held until SIGKILL
      await new Promise(() => undefined);
      return undefined;
    });
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  for (const p of problems) {
    process.stderr.write(`${p}\n`);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
