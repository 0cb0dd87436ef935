// Another VS Code window's context writer, in its own process: syncs one thread's facts once and
// prints how many files it wrote (0 or 1).
//   <root> <cwd> <folder> <threadId> <live|ended> <title>
import { ContextStore } from '../../../src/core/store/contextStore';
import { ThreadContextWriter } from '../../../src/core/workspace/threadContextWriter';
import type { CodexThread } from '../../../src/core/discovery/types';

async function main(): Promise<void> {
  const [root, cwd, folder, id, status, title] = process.argv.slice(2);
  const store = new ContextStore({ root, lockWaitMs: 120_000 });
  const writer = new ThreadContextWriter(store, { warn: (m) => process.stderr.write(`${m}\n`) });
  const thread: CodexThread = { id, startedAt: undefined, live: status === 'live', kind: 'terminal', cwd, title, cliVersion: '0.169.0', lastActivityAt: 1_800_000_000_000, hasMetadata: true };
  await writer.sync(thread, [folder]);
  process.stdout.write(`wrote ${writer.writeCount}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
