// Recognises the files a Codex process holds open for a thread: its writer lock
// (`<codex home>/thread-writer-locks/<id>.lock`, Codex 0.169+) and its rollout
// (`<codex home>/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`). The shim gets no CODEX_HOME
// (Codex strips it), so the Codex home is read off these paths instead.
import * as path from 'node:path';

export interface ThreadFile {
  threadId: string;
  kind: 'lock' | 'rollout';
  codexHome: string;
  path: string;
}

const LOCK = /^(.*)[\\/]thread-writer-locks[\\/]([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.lock$/;
const ROLLOUT =
  /^(.*)[\\/]sessions[\\/]\d{4}[\\/]\d{2}[\\/]\d{2}[\\/]rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;

export function parseThreadFile(p: string): ThreadFile | undefined {
  const lock = LOCK.exec(p);
  if (lock) {
    return { threadId: lock[2], kind: 'lock', codexHome: lock[1] || path.sep, path: p };
  }
  const rollout = ROLLOUT.exec(p);
  if (rollout) {
    return { threadId: rollout[2], kind: 'rollout', codexHome: rollout[1] || path.sep, path: p };
  }
  return undefined;
}
