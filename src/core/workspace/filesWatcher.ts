// Tells when any of a few files is created, changed, replaced (atomic rename) or deleted, files
// that may not exist yet. Watches each file's folder (a file watch would lose a file replaced by
// rename, as Codex and editors save config.toml), or the nearest existing ancestor folder until
// the file's folder appears. Events only: no polling.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { watchFolder } from '../watchFolder';

export class FilesWatcher {
  private watchers = new Map<string, fs.FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    private readonly files: readonly string[],
    private readonly onChange: () => void,
    private readonly debounceMs = 50,
  ) {
    this.arm();
  }

  private arm(): void {
    const wanted = new Map<string, Set<string>>(); // folder -> names that matter in it
    for (const file of this.files) {
      let child = path.basename(file);
      let dir = path.dirname(file);
      while (!fs.existsSync(dir)) {
        const up = path.dirname(dir);
        if (up === dir) {
          break;
        }
        child = path.basename(dir);
        dir = up;
      }
      wanted.set(dir, new Set([...(wanted.get(dir) ?? []), child]));
    }
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const [dir, names] of wanted) {
      if (this.watchers.has(dir)) {
        this.watchers.get(dir)!.close();
      }
      // A folder that cannot be watched (gone meanwhile) is re-armed by the next event.
      const w = watchFolder(
        dir,
        (name) => {
          if (!name || names.has(name)) {
            this.fire();
          }
        },
        () => this.watchers.delete(dir),
      );
      if (w) {
        this.watchers.set(dir, w);
      }
    }
  }

  private fire(): void {
    if (this.disposed || this.timer) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.disposed) {
        this.arm(); // a folder may have appeared or gone
        this.onChange();
      }
    }, this.debounceMs);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) {
      w.close();
    }
    this.watchers.clear();
  }
}
