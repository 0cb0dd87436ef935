import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FilesWatcher } from '../../../src/core/workspace/filesWatcher';

describe('FilesWatcher (config.toml changes)', function () {
  this.timeout(20_000);
  let dir: string;
  let watcher: FilesWatcher | undefined;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-fw-'))));
  afterEach(() => {
    watcher?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves on the next change notification. */
  function nextChange(): { promise: Promise<void>; watcher: FilesWatcher } {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, watcher: new FilesWatcher([path.join(dir, 'project', '.codex', 'config.toml')], () => resolve(), 10) };
  }

  it('reports a file created in a folder that did not exist yet, then its replacement by rename, then an append', async () => {
    const file = path.join(dir, 'project', '.codex', 'config.toml');
    let n = nextChange();
    watcher = n.watcher;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await n.promise;
    watcher.dispose();

    n = nextChange();
    watcher = n.watcher;
    fs.writeFileSync(`${file}.tmp`, 'a = 1\n');
    fs.renameSync(`${file}.tmp`, file);
    await n.promise;

    let again!: () => void;
    const appended = new Promise<void>((r) => (again = r));
    watcher.dispose();
    watcher = new FilesWatcher([file], () => again(), 10);
    fs.appendFileSync(file, 'b = 2\n');
    await appended;
  });
});
