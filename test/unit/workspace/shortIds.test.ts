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

  it('shortId of one id is its last 6 hex digits', () => {
    assert.equal(shortId('01a20dd3-146f-7680-86a1-782e736bec86'), '6bec86');
  });
});
