import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodexThreadDiscovery } from '../../../src/core/discovery/discovery';
import { headCacheFileIn } from '../../../src/core/discovery/headCache';
import { recordingLogger, removeDir, setMtime, tempDir, uuidV7, writeRollout } from './fixtures';

// The rollout heads discovery keeps on disk between sessions. A head read from the cache and one
// read from the rollout look the same, so these tests tell them apart by rewriting a rollout's first
// line in place (same inode, size and mtime: what the cache takes as unchanged) after the first
// session: what the second session shows says where it came from.
describe('CodexThreadDiscovery head cache on disk', () => {
  let home: string;
  let storage: string;
  beforeEach(() => {
    home = tempDir();
    storage = path.join(tempDir('ctc-head-cache-'), 'globalStorage', 'ext');
  });
  // Every session is disposed before its folders go: an undisposed one saves its cache on a timer
  // later, which recreated the removed temp folder after the test (one left per run).
  const sessions: CodexThreadDiscovery[] = [];
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((d) => d.dispose()));
    removeDir(home);
    removeDir(path.dirname(path.dirname(storage)));
  });

  const session = (logger = recordingLogger()): CodexThreadDiscovery => {
    const d = new CodexThreadDiscovery({ codexHome: home, logger, headCacheFile: headCacheFileIn(storage, home), useStateDb: false });
    sessions.push(d);
    return d;
  };

  // Whole seconds, so that setting it again gives the very same mtimeMs.
  const MTIME = Math.floor(Date.now() / 1000) * 1000 - 30_000;

  /** A rollout with a whole-second mtime (see rewriteInPlace). */
  function rollout(spec: Parameters<typeof writeRollout>[1]): string {
    const file = writeRollout(home, spec);
    setMtime(file, MTIME);
    return file;
  }

  /** Rewrites `from` to `to` (same length) in the rollout, keeping its inode, size and mtime. */
  function rewriteInPlace(file: string, from: string, to: string): void {
    assert.equal(from.length, to.length);
    const st = fs.statSync(file);
    assert.equal(st.mtimeMs, MTIME);
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.includes(from));
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, text.replace(from, to), 0, 'utf8');
    fs.closeSync(fd);
    setMtime(file, MTIME);
    const after = fs.statSync(file);
    assert.deepEqual([after.ino, after.size, after.mtimeMs], [st.ino, st.size, st.mtimeMs]);
  }

  async function firstSession(): Promise<void> {
    const d = session();
    await d.list();
    await d.dispose(); // resolves once the cache is written
  }

  it('a new session takes a known rollout\'s cwd and title from the cache file without reading the rollout', async () => {
    const id = uuidV7(Date.now() - 60_000);
    const file = rollout({ id, cwd: '/work/alpha', userMessage: 'first title' });
    await firstSession();
    const cacheFile = headCacheFileIn(storage, home);
    assert.ok(fs.existsSync(cacheFile), 'the first session wrote the cache file');

    rewriteInPlace(file, '/work/alpha', '/work/omega');
    rewriteInPlace(file, 'first title', 'other title');
    const [t] = await session().list();
    assert.equal(t.cwd, '/work/alpha');
    assert.equal(t.title, 'first title');
  });

  it('reads the rollout again when it was replaced (another inode) or grew past a head that had no title yet', async () => {
    const replaced = uuidV7(Date.now() - 120_000);
    const untitled = uuidV7(Date.now() - 60_000);
    const replacedFile = writeRollout(home, { id: replaced, cwd: '/work/before' });
    const untitledFile = writeRollout(home, { id: untitled, cwd: '/work/x' });
    await firstSession();

    const tmp = `${replacedFile}.new`;
    fs.writeFileSync(tmp, fs.readFileSync(replacedFile, 'utf8').replace('/work/before', '/work/after!'));
    fs.renameSync(tmp, replacedFile);
    fs.rmSync(untitledFile);
    writeRollout(home, { id: untitled, cwd: '/work/x', userMessage: 'typed later' });
    const list = await session().list();
    assert.equal(list.find((t) => t.id === replaced)?.cwd, '/work/after!');
    assert.equal(list.find((t) => t.id === untitled)?.title, 'typed later');
  });

  it('ignores a corrupt cache file, a cache written for another Codex home, and a bad entry, and says so in the log', async () => {
    const id = uuidV7(Date.now() - 60_000);
    const file = writeRollout(home, { id, cwd: '/work/alpha', userMessage: 'hello' });
    const cacheFile = headCacheFileIn(storage, home);
    fs.mkdirSync(storage, { recursive: true });

    fs.writeFileSync(cacheFile, '{"version":1,"codexHome":');
    let logger = recordingLogger();
    assert.equal((await session(logger).list())[0].cwd, '/work/alpha');
    assert.ok(logger.lines.some((l) => l.includes('ignoring the head cache') && l.includes('not JSON')), logger.lines.join('\n'));

    const st = fs.statSync(file);
    const forged = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, meta: { id, cwd: '/forged', truncated: false } };
    fs.writeFileSync(cacheFile, JSON.stringify({ version: 1, codexHome: '/another/home', heads: { [file]: forged } }));
    logger = recordingLogger();
    assert.equal((await session(logger).list())[0].cwd, '/work/alpha');
    assert.ok(logger.lines.some((l) => l.includes('another version or Codex home')), logger.lines.join('\n'));

    fs.writeFileSync(cacheFile, JSON.stringify({ version: 1, codexHome: path.resolve(home), heads: { [file]: { ...forged, meta: { id: '../../etc', cwd: '/forged', truncated: false } } } }));
    assert.equal((await session().list())[0].cwd, '/work/alpha');
  });

  it('keeps the cache private (0600 in a 0700 folder) and only the title of a long first message', async function () {
    if (process.platform === 'win32') {
      this.skip();
    }
    const long = 'word '.repeat(2000);
    writeRollout(home, { id: uuidV7(Date.now() - 60_000), cwd: '/work/alpha', userMessage: long });
    await firstSession();
    const cacheFile = headCacheFileIn(storage, home);
    assert.equal(fs.statSync(cacheFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(storage).mode & 0o777, 0o700);
    const text = fs.readFileSync(cacheFile, 'utf8');
    assert.ok(!text.includes(long.trim()), 'the whole message is not kept');
    assert.ok(text.length < 2000, `the cache file is ${text.length} bytes`);
  });

  it('refuses to write its cache through a symlinked folder and still lists the threads', async function () {
    if (process.platform === 'win32') {
      this.skip();
    }
    const elsewhere = tempDir('ctc-head-cache-target-');
    fs.mkdirSync(path.dirname(storage), { recursive: true });
    fs.symlinkSync(elsewhere, storage);
    writeRollout(home, { id: uuidV7(Date.now() - 60_000), cwd: '/work/alpha' });
    const logger = recordingLogger();
    const d = session(logger);
    assert.equal((await d.list())[0].cwd, '/work/alpha');
    await d.dispose();
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    assert.ok(logger.lines.some((l) => l.includes('cannot save the head cache')), logger.lines.join('\n'));
    removeDir(elsewhere);
  });
});
