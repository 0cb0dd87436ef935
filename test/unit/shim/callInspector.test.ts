import * as assert from 'node:assert/strict';
import { callCanOnlyBeFor, piecesCanOnlyBeFor, threadOfCallLine, threadOfCallLineByWalk, threadOfCallMessage } from '../../../src/shim/callInspector';
import { THREAD_A, THREAD_B } from './helpers';

/** Both ways of reading a call (JSON.parse below 16 KB, the walk above) must agree. */
function inspect(text: string) {
  const b = Buffer.from(`  ${text}\n`);
  const byWalk = /thread/.test(text) ? threadOfCallLineByWalk(b, 2, b.length) : { kind: 'none' };
  const answer = threadOfCallLine(b, 2, b.length);
  assert.deepEqual(byWalk, answer, `walk and parse differ on ${text.slice(0, 200)}`);
  return answer;
}

describe('tools/call thread inspection', () => {
  it('reads params._meta.threadId, else x-codex-turn-metadata.thread_id', () => {
    assert.deepEqual(inspect(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { threadId: THREAD_B }, _meta: { progressToken: 0, threadId: THREAD_A.toUpperCase() } } })), { kind: 'id', threadId: THREAD_A });
    assert.deepEqual(inspect(JSON.stringify({ params: { _meta: { 'x-codex-turn-metadata': { session_id: THREAD_B, thread_id: THREAD_A } } }, id: 1, method: 'tools/call' })), { kind: 'id', threadId: THREAD_A });
    assert.deepEqual(inspect(JSON.stringify({ params: { arguments: { _meta: { threadId: THREAD_A } } }, id: 1 })), { kind: 'none' });
    assert.deepEqual(inspect(JSON.stringify({ params: { _meta: { threadId: 'abc' } } })), { kind: 'invalid', value: 'abc' });
    assert.deepEqual(inspect(JSON.stringify({ params: { _meta: { threadId: 7 } } })), { kind: 'invalid', value: '7' });
    assert.deepEqual(inspect(JSON.stringify({ params: { _meta: { threadId: null } } })), { kind: 'none' });
    assert.deepEqual(inspect('{"params":{"_meta":{"no":"thread here"}}}'), { kind: 'none' });
    const garbage = Buffer.from('not json at all, thread');
    assert.deepEqual(threadOfCallLine(garbage, 0, garbage.length), { kind: 'none' });
  });

  it('gives what JSON.parse gives for escaped keys, duplicates and odd spacing', () => {
    const cases = [
      `{"params":{"_meta":{"thread\\u0049d":"${THREAD_A}"}}}`,
      `{"params":{"\\u005fmeta":{"threadId":"${THREAD_A}"}}}`,
      `{"params":{"_meta":{"threadId":"${THREAD_A}","threadId":"${THREAD_B}"}}}`,
      `{ "params" : { "arguments" : [ "}\\"{", {"threadId":"${THREAD_B}"} ] , "_meta" : { "threadId" : "${THREAD_A}" } } }`,
      `{"params":{"_meta":{"threadId":"\\u0030${THREAD_A.slice(1)}"}}}`,
      `{"params":{"_meta":[1,2]},"x":"thread"}`,
    ];
    for (const text of cases) {
      assert.deepEqual(inspect(text), threadOfCallMessage(JSON.parse(text)), text);
    }
  });

  it('walks a call of several MB (no parse) to the same answer', () => {
    const text = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'n', arguments: { blob: 'x"\\'.repeat(1_000_000), list: Array.from({ length: 10_000 }, (_, i) => ({ i, threadId: THREAD_B })) }, _meta: { threadId: THREAD_A } } });
    assert.deepEqual(inspect(text), { kind: 'id', threadId: THREAD_A });
  });

  it('agrees with JSON.parse on generated calls with large, nested arguments', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const value = (depth: number): unknown => {
      switch (depth > 3 ? rnd(4) : rnd(7)) {
        case 0: return rnd(1000) - 500;
        case 1: return `s"\\}{]${'x'.repeat(rnd(50))}`;
        case 2: return null;
        case 3: return rnd(2) === 0;
        case 4: return Array.from({ length: rnd(4) }, () => value(depth + 1));
        default: return Object.fromEntries(Array.from({ length: rnd(4) }, (_, i) => [rnd(3) ? `k${i}` : 'threadId', value(depth + 1)]));
      }
    };
    for (let k = 0; k < 300; k++) {
      const meta: Record<string, unknown> = { progressToken: k };
      if (rnd(4)) meta.threadId = rnd(5) ? THREAD_A : THREAD_B;
      if (rnd(2)) meta['x-codex-turn-metadata'] = { thread_id: THREAD_B, turn_id: 't' };
      const params: Record<string, unknown> = rnd(2) ? { _meta: meta, name: 'n', arguments: value(0) } : { name: 'n', arguments: value(0), _meta: meta };
      const text = JSON.stringify({ jsonrpc: '2.0', id: k, method: 'tools/call', params });
      assert.deepEqual(inspect(text), threadOfCallMessage(JSON.parse(text)), text);
    }
  });

  it('lets the common call pass without parsing, and only when parsing could not say otherwise', () => {
    const expected = Buffer.from(THREAD_A);
    const check = (text: string): boolean => {
      const b = Buffer.from(`{"x":1}\n${text}\n{"thread":2}\n`);
      const start = 8;
      const end = start + text.length + 1;
      const fast = callCanOnlyBeFor(b, start, end, expected);
      assert.equal(piecesCanOnlyBeFor([b.subarray(start, end)], expected), fast, `the scan in JS and the native searches differ on ${text}`);
      if (fast) {
        const exact = threadOfCallLine(b, start, end);
        assert.ok(exact.kind === 'none' || (exact.kind === 'id' && exact.threadId === THREAD_A), `the shortcut passed ${text}, parsing says ${JSON.stringify(exact)}`);
      }
      return fast;
    };
    const codexCall = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi', threadId: THREAD_A }, _meta: { progressToken: 3, threadId: THREAD_A, 'x-codex-turn-metadata': { session_id: THREAD_A, thread_id: THREAD_A, turn_id: 't' } } } });
    assert.equal(check(codexCall), true);
    assert.equal(check(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo' } })), true);
    // Not sure: any of these must go to the exact reading.
    const unsure = [
      JSON.stringify({ params: { _meta: { threadId: THREAD_B } } }),
      JSON.stringify({ params: { arguments: { threadId: THREAD_B }, _meta: { threadId: THREAD_A } } }),
      JSON.stringify({ params: { _meta: { threadId: THREAD_A.toUpperCase() } } }),
      JSON.stringify({ params: { _meta: { 'x-codex-turn-metadata': { thread_id: THREAD_B } }, arguments: { threadId: THREAD_A } } }),
      `{"params":{"arguments":{"threadId":"${THREAD_A}"},"_meta":{"thread\u0049d":"${THREAD_B}"}}}`,
      `{"params":{"arguments":{"threadId":"${THREAD_A}"},"_meta":{"\u0074hreadId":"${THREAD_B}"}}}`,
      `{"params":{"_meta":{"threadId" : "${THREAD_A}"}}}`,
      `{"params":{"_meta":{"threadId":"${THREAD_A}x"}}}`,
      `{"params":{"_meta":{"threadId":"${THREAD_A}"},"arguments":{"text":"a thread"}}}`,
      `{"params":{"_meta":{"threadId":"${THREAD_A.slice(0, 20)}"}}}`,
      `{"params":{"_meta":{"threadId":`,
    ];
    for (const text of unsure) {
      assert.equal(check(text), false, text);
    }

    // A large call held as the pieces it arrived in: the same answers without joining them, for
    // every place the pieces may be cut.
    const other = `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"_meta":{"threadId":"${THREAD_B}"}}}`;
    const hiddenEscape = `{"params":{"_meta":{"threadId":"${THREAD_A}","\\u0074hreadId":"${THREAD_B}"}}}`;
    for (const text of [codexCall, other, hiddenEscape, ...unsure, `{"params":{"arguments":{"s":"\\u0041"},"_meta":{"threadId":"${THREAD_A}"}}}`]) {
      const b = Buffer.from(text);
      const exact = threadOfCallLine(b, 0, b.length);
      const sound = exact.kind === 'none' || (exact.kind === 'id' && exact.threadId === THREAD_A);
      let passed = 0;
      for (let cut = 1; cut < b.length; cut++) {
        const splits = [[b.subarray(0, cut), b.subarray(cut)], [b.subarray(0, cut >> 1), b.subarray(cut >> 1, cut), b.subarray(cut)]];
        // Short pieces in the middle (a word or an escape cut over three or more pieces, empty ones).
        for (let w = 0; w <= 4; w++) {
          splits.push([b.subarray(0, cut), b.subarray(cut, cut + w), b.subarray(cut + w)]);
          splits.push([b.subarray(0, cut), b.subarray(cut, cut + 1), b.subarray(cut + 1, cut + 1 + w), b.subarray(cut + 1 + w)]);
        }
        for (const pieces of splits) {
          if (piecesCanOnlyBeFor(pieces, expected)) {
            assert.ok(sound, `cut at ${cut}: the shortcut passed ${text}, parsing says ${JSON.stringify(exact)}`);
            passed++;
          }
        }
      }
      assert.equal(passed > 0, text === codexCall, `${text}: passed for ${passed} cuts`);
    }
  });
});
