import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodexThreadDiscovery } from '../../../src/core/discovery/discovery';
import { localDayDir, makeStateDb, recordingLogger, removeDir, rolloutName, setMtime, tempDir, uuidV7, writeLock, writeRollout } from './fixtures';

const MIN = 60_000;
const DAY = 86_400_000;

describe('CodexThreadDiscovery.list/get (real files)', () => {
  let home: string;
  let outside: string;
  beforeEach(() => {
    home = tempDir();
    outside = tempDir();
  });
  afterEach(() => {
    removeDir(home);
    removeDir(outside);
  });

  const discovery = (opts: Partial<ConstructorParameters<typeof CodexThreadDiscovery>[0]> = {}): CodexThreadDiscovery =>
    new CodexThreadDiscovery({ codexHome: home, logger: recordingLogger(), ...opts });

  it('lists nothing for a fresh or missing Codex home', async () => {
    assert.deepEqual(await discovery().list(), []);
    assert.deepEqual(await new CodexThreadDiscovery({ codexHome: path.join(home, 'nope') }).list(), []);
  });

  it('lists live threads (lock files) and the last 7 days with metadata; live first, then newest', async () => {
    const now = Date.now();
    const live = uuidV7(now - 10 * MIN);
    const liveNoRollout = uuidV7(now - MIN); // a TUI thread nobody has typed into yet
    const recent = uuidV7(now - 3 * DAY);
    const old = uuidV7(now - 30 * DAY);
    setMtime(writeRollout(home, { id: live, cwd: '/a', originator: 'codex-tui', userMessage: 'live one', cliVersion: '0.169.0', source: 'vscode' }), now - 5 * MIN);
    writeLock(home, live);
    writeLock(home, liveNoRollout);
    const recentFile = writeRollout(home, { id: recent, cwd: '/b', originator: 'codex_vscode', userMessage: 'recent one' });
    setMtime(recentFile, now - 3 * DAY + 5 * MIN);
    setMtime(writeRollout(home, { id: old, userMessage: 'old one' }), now - 30 * DAY);

    const list = await discovery().list();
    assert.deepEqual(list.map((t) => t.id), [liveNoRollout, live, recent]);
    const [a, b, c] = list;
    assert.equal(a.live, true);
    assert.equal(a.hasMetadata, false);
    assert.equal(a.kind, 'unknown');
    assert.equal(a.lastActivityAt, a.startedAt);
    assert.equal(b.live, true);
    assert.equal(b.kind, 'terminal');
    assert.equal(b.source, 'vscode');
    assert.equal(b.cwd, '/a');
    assert.equal(b.title, 'live one');
    assert.equal(b.cliVersion, '0.169.0');
    assert.equal(b.startedAt, parseInt(live.slice(0, 8) + live.slice(9, 13), 16));
    assert.equal(c.live, false);
    assert.equal(c.kind, 'ide');
    assert.equal(c.rolloutPath, recentFile);
    assert.equal(c.lastActivityAt, Math.round(fs.statSync(recentFile).mtimeMs));

    assert.deepEqual((await discovery().list({ sinceDays: 1 })).map((t) => t.id), [liveNoRollout, live]);
    assert.equal((await discovery().list({ sinceDays: 60 })).length, 4);
  });

  it('finds the old rollout of a live (resumed) thread from its UUIDv7 date', async () => {
    const id = uuidV7(Date.now() - 400 * DAY);
    const file = writeRollout(home, { id, userMessage: 'resumed' });
    writeLock(home, id);
    const [t] = await discovery().list();
    assert.equal(t.id, id);
    assert.equal(t.rolloutPath, file);
    assert.equal(t.title, 'resumed');
    assert.equal(t.live, true);
  });

  it('finds a rollout filed under the next or previous day (Codex in another time zone)', async () => {
    const ts = Date.now() - 2 * DAY;
    for (const shift of [-DAY, DAY]) {
      const id = uuidV7(ts + shift / 100);
      writeRollout(home, { id, userMessage: 'tz' }, { dir: localDayDir(home, ts + shift) });
      writeLock(home, id);
      assert.equal((await discovery().get(id))?.title, 'tz');
    }
    assert.equal((await discovery().list()).filter((t) => t.title === 'tz').length, 2);
  });

  it('treats a recently written rollout as live when the Codex writes no lock files', async () => {
    const now = Date.now();
    const active = uuidV7(now - 20 * MIN);
    const idle = uuidV7(now - 40 * MIN);
    writeRollout(home, { id: active, cliVersion: '0.125.0' });
    setMtime(writeRollout(home, { id: idle, cliVersion: '0.125.0' }), now - 10 * MIN);
    const byId = new Map((await discovery().list()).map((t) => [t.id, t.live]));
    assert.deepEqual(Object.fromEntries(byId), { [active]: true, [idle]: false });

    // With a lock folder (a newer Codex uses this home too) only versions without locks get the window.
    fs.mkdirSync(path.join(home, 'thread-writer-locks'));
    const modern = uuidV7(now - 5 * MIN);
    writeRollout(home, { id: modern, cliVersion: '0.169.0' });
    const again = new Map((await discovery().list()).map((t) => [t.id, t.live]));
    assert.equal(again.get(active), true);
    assert.equal(again.get(modern), false);
  });

  it('reads kinds, sub-agent parents and forks from the rollouts', async () => {
    const now = Date.now();
    const root = uuidV7(now - 3 * MIN);
    const child = uuidV7(now - 2 * MIN);
    const fork = uuidV7(now - MIN);
    writeRollout(home, { id: root, originator: 'codex_exec' });
    writeRollout(home, { id: child, sessionId: root, originator: 'codex_exec', source: { subagent: { thread_spawn: { parent_thread_id: root, depth: 1 } } } });
    writeRollout(home, { id: fork, originator: 'Visual Studio Code', forkedFromId: root });
    const byId = new Map((await discovery().list()).map((t) => [t.id, t]));
    assert.equal(byId.get(root)?.kind, 'exec');
    assert.equal(byId.get(child)?.parentThreadId, root);
    assert.equal(byId.get(child)?.rootThreadId, root);
    assert.equal(byId.get(fork)?.forkedFromId, root);
    assert.equal(byId.get(fork)?.kind, 'ide');
  });

  it('skips bad files with debug logs: bad names, bad first lines, symlinks, folders, unreadable and outside-home day folders', async () => {
    const now = Date.now();
    const good = uuidV7(now - MIN);
    const goodFile = writeRollout(home, { id: good, userMessage: 'good' });
    const day = path.dirname(goodFile);
    fs.writeFileSync(path.join(day, 'notes.txt'), 'x');
    fs.writeFileSync(path.join(day, 'rollout-2026-01-01T00-00-00-not-a-valid-id.jsonl'), 'x');
    const garbage = uuidV7(now - 2 * MIN);
    writeRollout(home, { id: garbage }, { content: '\u0000\u0001garbage'.repeat(10_000) });
    const truncatedId = uuidV7(now - 3 * MIN);
    writeRollout(home, { id: truncatedId }, { content: '{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"' + truncatedId + '","cwd":"/t' });
    const mismatch = uuidV7(now - 4 * MIN);
    writeRollout(home, { id: mismatch }, { content: JSON.stringify({ type: 'session_meta', payload: { id: good, cwd: '/liar' } }) + '\n' });
    const linked = uuidV7(now - 5 * MIN);
    const target = writeRollout(outside, { id: linked, userMessage: 'secret' }, { dir: outside });
    fs.symlinkSync(target, path.join(day, rolloutName(linked)));
    fs.mkdirSync(path.join(day, rolloutName(uuidV7(now - 6 * MIN))));
    // A whole day folder that is a symlink out of the Codex home.
    const elsewhere = uuidV7(now - DAY);
    writeRollout(outside, { id: elsewhere }, { dir: path.join(outside, 'day') });
    fs.mkdirSync(path.dirname(localDayDir(home, now - DAY)), { recursive: true });
    if (!fs.existsSync(localDayDir(home, now - DAY))) {
      fs.symlinkSync(path.join(outside, 'day'), localDayDir(home, now - DAY));
    }

    const log = recordingLogger();
    const list = await new CodexThreadDiscovery({ codexHome: home, logger: log }).list();
    const byId = new Map(list.map((t) => [t.id, t]));
    assert.equal(byId.get(good)?.title, 'good');
    assert.equal(byId.get(garbage)?.hasMetadata, false);
    assert.equal(byId.get(truncatedId)?.cwd, undefined); // cut inside cwd: the cut value is dropped
    assert.equal(byId.get(truncatedId)?.hasMetadata, true);
    assert.equal(byId.get(mismatch)?.cwd, undefined);
    assert.ok(!byId.has(linked));
    assert.ok(!byId.has(elsewhere));
    assert.ok(!list.some((t) => t.title === 'secret'));
    const text = log.lines.join('\n');
    for (const expected of ['not a rollout file name', 'a symlink', 'not a regular file', 'not session metadata', 'does not match the file name', 'outside the Codex home']) {
      assert.ok(text.includes(expected), `log mentions "${expected}":\n${text}`);
    }
  });

  it('gets one thread by id, of any age, and nothing for unknown or invalid ids', async () => {
    const id = uuidV7(Date.now() - 700 * DAY);
    setMtime(writeRollout(home, { id, userMessage: 'ancient', originator: 'codex_exec' }), Date.now() - 700 * DAY);
    const t = await discovery().get(id.toUpperCase());
    assert.equal(t?.title, 'ancient');
    assert.equal(t?.live, false);
    assert.equal(await discovery().get(uuidV7(Date.now())), undefined);
    assert.equal(await discovery().get('../../etc/passwd'), undefined);
    const liveOnly = uuidV7(Date.now());
    writeLock(home, liveOnly);
    assert.equal((await discovery().get(liveOnly))?.live, true);
  });

  describe('with the state database', () => {
    it('adds titles, names, parents and old threads updated recently', async () => {
      const now = Date.now();
      const recent = uuidV7(now - 2 * DAY);
      const named = uuidV7(now - DAY);
      const child = uuidV7(now - 12 * 3600_000);
      const resumedOld = uuidV7(now - 200 * DAY); // created long ago, updated yesterday
      const stale = uuidV7(now - 100 * DAY);
      const recentFile = writeRollout(home, { id: recent }); // no user message in the rollout yet
      writeRollout(home, { id: named, userMessage: 'typed first' });
      writeRollout(home, { id: child });
      const oldFile = writeRollout(home, { id: resumedOld, userMessage: 'old but resumed' });
      setMtime(oldFile, now - DAY);
      writeRollout(home, { id: stale });
      makeStateDb(path.join(home, 'state_5.sqlite'), [
        { id: recent, title: 'Title from the database', rolloutPath: recentFile, updatedAtMs: now - 2 * DAY },
        { id: named, title: 'typed first', name: 'My named thread', updatedAtMs: now - DAY },
        { id: child, title: 'child', updatedAtMs: now - DAY },
        { id: resumedOld, title: 'old but resumed', rolloutPath: oldFile, updatedAtMs: now - DAY + 1000 },
        { id: stale, title: 'stale', rolloutPath: '/etc/passwd', updatedAtMs: now - 100 * DAY },
      ], [[named, child]]);
      const list = await discovery().list();
      const byId = new Map(list.map((t) => [t.id, t]));
      assert.equal(byId.get(recent)?.title, 'Title from the database');
      assert.equal(byId.get(named)?.title, 'My named thread');
      assert.equal(byId.get(child)?.parentThreadId, named);
      assert.equal(byId.get(resumedOld)?.rolloutPath, oldFile);
      assert.equal(byId.get(resumedOld)?.title, 'old but resumed');
      assert.ok(!byId.has(stale));
      assert.equal((await discovery({ useStateDb: false }).list()).find((t) => t.id === recent)?.title, undefined);
    });

    it('ignores a database rollout_path that is not the thread’s rollout inside the home', async () => {
      const id = uuidV7(Date.now() - 300 * DAY);
      const foreign = writeRollout(outside, { id, userMessage: 'outside' }, { dir: outside });
      makeStateDb(path.join(home, 'state_5.sqlite'), [{ id, rolloutPath: foreign, updatedAtMs: Date.now() }]);
      const t = await discovery().get(id);
      assert.equal(t?.rolloutPath, undefined);
      assert.equal(t?.title, undefined);
    });

    it('still lists from the rollouts when the database is garbage', async () => {
      const id = uuidV7(Date.now() - MIN);
      writeRollout(home, { id, userMessage: 'fine' });
      fs.writeFileSync(path.join(home, 'state_5.sqlite'), Buffer.alloc(100_000, 7));
      const log = recordingLogger();
      const list = await new CodexThreadDiscovery({ codexHome: home, logger: log }).list();
      assert.equal(list[0]?.title, 'fine');
      assert.ok(log.lines.some((l) => l.includes('state database')));
    });
  });
});
