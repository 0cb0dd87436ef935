import * as assert from 'node:assert/strict';
import { shortId, shortIds } from '../../../src/core/workspace/shortIds';

describe('shortIds', () => {
  it('tells apart two threads created in the same millisecond by their random tails, not their time prefix', () => {
    const a = '01a20dd3-146f-7680-86a1-782e736bec86';
    const b = '01a20dd3-146f-7123-9abc-0011223344ff';
    const names = shortIds([a, b]);
    assert.equal(names.get(a), '736bec86'.slice(-6));
    assert.equal(names.get(b), '3344ff');
    assert.notEqual(names.get(a), names.get(b));
  });

  it('grows a tail until it is unique when two ids end alike', () => {
    const a = '01a20dd3-146f-7680-86a1-000011bec86a';
    const b = '01a20dd3-146f-7680-86a1-000021bec86a';
    const names = shortIds([a, b]);
    assert.equal(names.get(a), '11bec86a');
    assert.equal(names.get(b), '21bec86a');
  });

  it('gives every id of a large set with many shared tails the shortest tail (at least 6) no other id ends with', () => {
    // Ids built to collide: random heads, tails drawn from a few shared endings.
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const hex = (len: number) => Array.from({ length: len }, () => '0123456789abcdef'[rnd(16)]).join('');
    const endings = Array.from({ length: 5 }, () => hex(9));
    const ids = new Set<string>();
    while (ids.size < 500) {
      const tail = hex(3) + endings[rnd(endings.length)];
      ids.add(`${hex(8)}-${hex(4)}-7${hex(3)}-8${hex(3)}-${tail}`);
    }
    const names = shortIds(ids);
    const digits = [...ids].map((id) => id.replace(/-/g, ''));
    for (const id of ids) {
      const own = id.replace(/-/g, '');
      const name = names.get(id)!;
      assert.ok(own.endsWith(name) && name.length >= 6, `${name} is a tail of ${id}`);
      const clash = (t: string) => digits.some((d) => d !== own && d.endsWith(t));
      assert.equal(clash(name), false, `${name} is unique`);
      assert.ok(name.length === 6 || clash(own.slice(-(name.length - 1))), `${name} is the shortest`);
    }
  });

  it('shortId of one id is its last 6 hex digits', () => {
    assert.equal(shortId('01a20dd3-146f-7680-86a1-782e736bec86'), '6bec86');
  });
});
