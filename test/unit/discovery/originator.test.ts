import * as assert from 'node:assert/strict';
import { threadKindFromOriginator } from '../../../src/core/discovery/originator';
import { shortenTitle } from '../../../src/core/discovery/title';

describe('discovery/originator', () => {
  it('maps originators to the kinds the UI shows', () => {
    const cases: [string | undefined, string][] = [
      ['codex_exec', 'exec'],
      ['codex-tui', 'terminal'],
      ['codex_cli_rs', 'terminal'],
      ['codex_vscode', 'ide'],
      ['Visual Studio Code', 'ide'],
      ['Cursor', 'ide'],
      ['codex_jetbrains', 'ide'],
      ['my-own-app-server-client', 'other'],
      ['', 'unknown'],
      [undefined, 'unknown'],
    ];
    for (const [originator, kind] of cases) {
      assert.equal(threadKindFromOriginator(originator), kind, String(originator));
    }
  });
});

describe('discovery/title', () => {
  it('puts a message on one short line', () => {
    assert.equal(shortenTitle('  fix   the\nbuild  '), 'fix the build');
    const long = shortenTitle('word '.repeat(100), 20);
    assert.equal(long.length, 20);
    assert.ok(long.endsWith('…'));
  });

  it('does not split a surrogate pair', () => {
    const t = shortenTitle('a'.repeat(18) + '😀😀😀', 20);
    assert.ok(!/[\uD800-\uDBFF]…$/.test(t), t);
  });
});
