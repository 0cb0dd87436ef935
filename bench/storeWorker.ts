// One writer process of the store benchmark: loads, says "ready", waits for "go" on stdin, does
// its updates, then prints its lock waits as JSON. Waiting for "go" keeps process start-up out of
// the measurement.
import { ContextStore } from '../src/core/store/contextStore';

async function main(): Promise<void> {
  const [root, cwd, id, countText] = process.argv.slice(2);
  const waits: number[] = [];
  const store = new ContextStore({ root, onLockAcquired: (ms) => waits.push(ms), lockWaitMs: 600_000 });
  const ref = { id, cwd };
  await store.ensureGroup(cwd);
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < Number(countText); i++) {
    await store.update(ref, (cur) => {
      const ctx = cur ?? store.newContext(ref);
      const b = ctx.bindings.find((x) => x.shimPid === process.pid);
      if (b) {
        b.callCount++;
        b.lastCallAt = new Date().toISOString();
      } else {
        ctx.bindings.push({ server: 'bench', shimPid: process.pid, resolvedBy: 'env', status: 'running', startedAt: new Date().toISOString(), callCount: 1, corrections: [] });
      }
      return ctx;
    });
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ms, waits }) + '\n');
  process.stdin.destroy();
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
