import * as fs from 'node:fs';
import { DiscoveryLogger } from './types';

// Keeps one non-recursive fs.watch per existing folder of a target set. Folders that do not
// exist yet are simply not watched: their parent is in the set too, so their creation is seen,
// and `reconcile` (run after every event and on a timer) starts watching them. A folder that was
// deleted and created again has a new inode: its old watcher is dead, so it is replaced.
// Watchers are not persistent: they never keep a command-line process alive.

interface Watched {
  readonly watcher: fs.FSWatcher;
  readonly ino: number;
  readonly dev: number;
}

export class DirWatchSet {
  private readonly watched = new Map<string, Watched>();
  private closed = false;

  constructor(
    private readonly onEvent: (dir: string, name: string | null) => void,
    private readonly logger: DiscoveryLogger,
  ) {}

  get size(): number {
    return this.watched.size;
  }

  /** Watches exactly the existing folders among `targets`. Returns the folders newly watched. */
  reconcile(targets: Iterable<string>): string[] {
    if (this.closed) {
      return [];
    }
    const wanted = new Set(targets);
    const added: string[] = [];
    for (const [dir, w] of this.watched) {
      if (!wanted.has(dir)) {
        this.unwatch(dir, w);
      }
    }
    for (const dir of wanted) {
      let st: fs.Stats;
      try {
        st = fs.statSync(dir);
      } catch {
        const w = this.watched.get(dir);
        if (w) {
          this.unwatch(dir, w);
        }
        continue;
      }
      const current = this.watched.get(dir);
      if (!st.isDirectory()) {
        if (current) {
          this.unwatch(dir, current);
        }
        continue;
      }
      if (current && current.ino === st.ino && current.dev === st.dev) {
        continue;
      }
      if (current) {
        this.unwatch(dir, current);
      }
      try {
        const watcher = fs.watch(dir, { persistent: false }, (_type, name) => this.onEvent(dir, typeof name === 'string' ? name : null));
        watcher.on('error', (err) => {
          this.logger.debug(`discovery: watcher of ${dir} failed: ${err.message}`);
          const w = this.watched.get(dir);
          if (w?.watcher === watcher) {
            this.unwatch(dir, w);
          }
          this.onEvent(dir, null);
        });
        this.watched.set(dir, { watcher, ino: st.ino, dev: st.dev });
        added.push(dir);
      } catch (err) {
        // ENOSPC (inotify limit), EACCES, or the folder vanished: the timer rescan still covers it.
        this.logger.warn(`discovery: cannot watch ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    return added;
  }

  close(): void {
    this.closed = true;
    for (const [dir, w] of this.watched) {
      this.unwatch(dir, w);
    }
  }

  private unwatch(dir: string, w: Watched): void {
    this.watched.delete(dir);
    try {
      w.watcher.close();
    } catch {
      // already closed
    }
  }
}
