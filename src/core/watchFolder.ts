// One folder watched without keeping the process alive, for the watchers that back up a poll or a
// rescan: names of changed entries go to `onName` (null when the platform gives none). A watcher
// that fails (the folder went away) closes itself and calls `onFailed`; a folder that cannot be
// watched at all gives undefined, and the caller's poll covers it.
import * as fs from 'node:fs';

export function watchFolder(dir: string, onName: (name: string | null) => void, onFailed: () => void): fs.FSWatcher | undefined {
  try {
    const w = fs.watch(dir, { persistent: false }, (_event, name) => onName(name ? String(name) : null));
    w.on('error', () => {
      w.close();
      onFailed();
    });
    return w;
  } catch {
    return undefined;
  }
}
