import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { dayDirChain, dayDirsBetween, isInside, parseRolloutFileName, rolloutDayDirs } from '../../../src/core/discovery/rolloutPath';
import { uuidV7 } from './fixtures';

const HOME = path.join(path.sep, 'h', '.codex');
const ID = '01a20df6-e654-7a30-b1da-ec2742e0f55b';

describe('discovery/rolloutPath', () => {
  it('parses the rollout names Codex writes', () => {
    assert.deepEqual(parseRolloutFileName(`rollout-2026-11-24T14-30-14-${ID}.jsonl`), { threadId: ID, stamp: '2026-11-24T14:30:14' });
  });

  it('rejects names that are not rollouts or carry no valid id', () => {
    for (const name of [
      `rollout-2026-11-24T14-30-14-${ID}.json`,
      `rollout-2026-11-24T14-30-14-${ID.toUpperCase()}.jsonl`,
      `rollout-2026-11-24T14-30-14-${ID.slice(0, -1)}.jsonl`,
      `rollout-2026-11-24-${ID}.jsonl`,
      `xrollout-2026-11-24T14-30-14-${ID}.jsonl`,
      `rollout-2026-11-24T14-30-14-../../${ID}.jsonl`,
      `${ID}.jsonl`,
      '.DS_Store',
      '',
    ]) {
      assert.equal(parseRolloutFileName(name), undefined, name);
    }
  });

  it('finds the day folders of a thread from its UUIDv7, allowing for time zones', () => {
    // 2026-03-10T23:30Z: Codex east of UTC writes it under the 11th, west of UTC-... under the 10th or 9th.
    const id = uuidV7(Date.UTC(2026, 2, 10, 23, 30));
    const dirs = rolloutDayDirs(HOME, id);
    for (const d of ['2026/03/09', '2026/03/10', '2026/03/11']) {
      assert.ok(dirs.includes(path.join(HOME, 'sessions', ...d.split('/'))), `${d} in ${dirs.join(', ')}`);
    }
    assert.ok(dirs.length <= 4);
    // The most likely folder (this process's local date) comes first.
    const local = new Date(Date.UTC(2026, 2, 10, 23, 30));
    assert.equal(dirs[0], path.join(HOME, 'sessions', String(local.getFullYear()), String(local.getMonth() + 1).padStart(2, '0'), String(local.getDate()).padStart(2, '0')));
  });

  it('crosses month and year ends', () => {
    const dirs = rolloutDayDirs(HOME, uuidV7(Date.UTC(2025, 11, 31, 23, 59)));
    assert.ok(dirs.includes(path.join(HOME, 'sessions', '2026', '01', '01')));
    assert.ok(dirs.includes(path.join(HOME, 'sessions', '2025', '12', '30')));
  });

  it('has no folders for ids that are not UUIDv7', () => {
    assert.deepEqual(rolloutDayDirs(HOME, '01a20df6-e654-4a30-b1da-ec2742e0f55b'), []);
    assert.deepEqual(rolloutDayDirs(HOME, 'not-an-id'), []);
  });

  it('lists the day folders of a range, newest first, widened by a day each side', () => {
    const dirs = dayDirsBetween(HOME, Date.UTC(2026, 0, 10, 12), Date.UTC(2026, 0, 12, 1));
    assert.deepEqual(dirs.map((d) => path.relative(path.join(HOME, 'sessions'), d).split(path.sep).join('/')), [
      '2026/01/13', '2026/01/12', '2026/01/11', '2026/01/10', '2026/01/09',
    ]);
  });

  it('names the chain of folders down to a day folder', () => {
    const day = path.join(HOME, 'sessions', '2026', '01', '02');
    assert.deepEqual(dayDirChain(HOME, day), [path.join(HOME, 'sessions', '2026'), path.join(HOME, 'sessions', '2026', '01'), day]);
  });

  it('tells whether a path is inside another', () => {
    assert.ok(isInside(HOME, path.join(HOME, 'sessions')));
    assert.ok(isInside(HOME, HOME));
    assert.ok(!isInside(HOME, path.join(HOME, '..', 'other')));
    assert.ok(!isInside(HOME, path.join(path.sep, 'h', '.codex-other')));
  });
});
