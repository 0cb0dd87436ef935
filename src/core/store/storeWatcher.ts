// Tells the extension when a context file changes, whoever wrote it. fs.watch is fast but can
// drop events (and is missing on some network file systems), so a cheap poll of file mtimes in
// the store's own directories backs it up. The store is small (one file per thread), so the poll
// stays cheap.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { EventEmitter } from 'node:events';
import { isWorkspaceKey } from './workspaceKey';
import { watchFolder } from '../watchFolder';

export interface StoreChange {
  key: string;
  threadId: string;
  file: string;
  /** 'changed' covers creation; 'removed' is sent when a file disappears. */
  kind: 'changed' | 'removed';
}

const THREAD_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;

export class StoreWatcher {
  private readonly emitter = new EventEmitter();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly known = new Map<string, string>(); // file -> mtime:inode:size
  private flushTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private scanning: Promise<void> | undefined;

  constructor(
    private readonly workspacesDir: string,
    private readonly options: { pollMs?: number; debounceMs?: number } = {},
  ) {}

  onDidChange(listener: (change: StoreChange) => void): { dispose(): void } {
    this.emitter.on('change', listener);
    return { dispose: () => this.emitter.off('change', listener) };
  }

  /** Starts watching; resolves once the current files are known (they are not reported as changes). */
  async start(): Promise<void> {
    await this.scan(false);
    this.pollTimer = setInterval(() => void this.rescan(), this.options.pollMs ?? 2000);
    this.pollTimer.unref();
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.flushTimer);
    for (const w of this.watchers.values()) {
      w.close();
    }
    this.watchers.clear();
    this.emitter.removeAllListeners();
  }

  private rescan(): Promise<void> {
    this.scanning ??= this.scan(true).finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private watch(dir: string): void {
    if (this.watchers.has(dir) || this.disposed) {
      return;
    }
    // A directory that vanished or cannot be watched is covered by the poll.
    const w = watchFolder(
      dir,
      (name) => {
        // Any thread file, a new group, or an event without a name: look again (debounced).
        if (dir === this.workspacesDir || !name || THREAD_FILE.test(name)) {
          this.schedule();
        }
      },
      () => this.watchers.delete(dir),
    );
    if (w) {
      this.watchers.set(dir, w);
    }
  }

  private schedule(): void {
    if (this.flushTimer || this.disposed) {
      return;
    }
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.rescan();
    }, this.options.debounceMs ?? 30);
  }

  /** Lists the store's groups and files, compares mtimes with what it knew, and reports the differences. */
  private async scan(report: boolean): Promise<void> {
    const seen = new Map<string, string>();
    let keys: string[] = [];
    try {
      keys = (await fsp.readdir(this.workspacesDir)).filter(isWorkspaceKey);
      this.watch(this.workspacesDir);
    } catch {
      // no store yet: watch nothing, the poll will find it when it appears
      for (const [dir, w] of this.watchers) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const key of keys) {
      const dir = path.join(this.workspacesDir, key);
      let names: string[];
      try {
        names = await fsp.readdir(dir);
      } catch {
        continue;
      }
      this.watch(dir);
      for (const name of names) {
        if (!THREAD_FILE.test(name)) {
          continue;
        }
        const file = path.join(dir, name);
        const st = await fsp.lstat(file).catch(() => undefined);
        if (st?.isFile()) {
          seen.set(file, `${st.mtimeMs}:${st.ino}:${st.size}`);
        }
      }
    }
    if (this.disposed) {
      return;
    }
    const changes: StoreChange[] = [];
    for (const [file, signature] of seen) {
      if (this.known.get(file) !== signature) {
        changes.push(toChange(file, 'changed'));
      }
    }
    for (const file of this.known.keys()) {
      if (!seen.has(file)) {
        changes.push(toChange(file, 'removed'));
      }
    }
    this.known.clear();
    for (const [f, m] of seen) {
      this.known.set(f, m);
    }
    if (report) {
      for (const c of changes) {
        this.emitter.emit('change', c);
      }
    }
  }
}

function toChange(file: string, kind: StoreChange['kind']): StoreChange {
  const dir = path.dirname(file);
  return { key: path.basename(dir), threadId: path.basename(file, '.json'), file, kind };
}
