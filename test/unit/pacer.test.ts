import * as assert from 'node:assert/strict';
import { Pacer } from '../../src/core/pacer';

// Units of "synchronous work" advance a fake clock by UNIT_MS; a setImmediate callback queued
// before the work stands for other work in the host waiting for an event-loop turn.
const UNIT_MS = 2;

async function run(pacer: Pacer, clock: { t: number }, units: number, workers: number): Promise<number[]> {
  let done = 0;
  const turnsAt: number[] = [];
  const queue = (): void => {
    setImmediate(() => {
      turnsAt.push(done);
      if (done < units) {
        queue();
      }
    });
  };
  queue();
  const worker = async (): Promise<void> => {
    while (done < units) {
      await pacer.turn();
      if (done < units) {
        done++;
        clock.t += UNIT_MS;
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  await new Promise((resolve) => setImmediate(resolve)); // the last queued callback
  return turnsAt;
}

describe('Pacer (event-loop pauses for synchronous work)', () => {
  it('lets a short run (under the budget) finish without giving up the loop', async () => {
    const clock = { t: 0 };
    const turnsAt = await run(new Pacer(50, () => clock.t), clock, 20, 3);
    assert.equal(turnsAt[0], 20, `the waiting callback ran after units ${turnsAt.join(', ')}`);
  });

  it('gives waiting work a turn once per budget in a long run, however many workers share the pacer', async () => {
    const clock = { t: 0 };
    const turnsAt = await run(new Pacer(10, () => clock.t), clock, 60, 3);
    assert.ok(turnsAt.length >= 5, `the loop got turns after units ${turnsAt.join(', ')}`);
    // 10 ms is 5 units; workers already past the check finish theirs (up to 2 more).
    for (const [i, at] of turnsAt.entries()) {
      const before = i === 0 ? 0 : turnsAt[i - 1];
      assert.ok(at - before <= 5 + 2, `turns after units ${turnsAt.join(', ')}`);
    }
  });
});
