// Round trips over a corpus of real-world config.toml shapes (test/unit/codexConfig/corpus: Codex's
// documented examples and the shapes people post), each also with CRLF line ends, a BOM and no
// final newline: wrap then unwrap gives back the original bytes, wrapping twice changes nothing,
// and the wrapped file parses with every key other than command/args unchanged.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getStaticTOMLValue, parseTOML } from 'toml-eslint-parser';
import { parseCodexConfig, unwrapServersInText, wrapServersInText } from '../../../src/core/codexConfig';
import { corpusFiles, CORPUS_DIR } from './corpus';

const LAUNCHER = '/home/u/.codex/bin/codex-thread-shim';


function variants(text: string): Record<string, string> {
  const lf = text.replace(/\r\n/g, '\n');
  return {
    'as written': text,
    CRLF: lf.replace(/\n/g, '\r\n'),
    BOM: text.startsWith('\uFEFF') ? text : '\uFEFF' + text,
    'no final newline': text.replace(/(\r?\n)+$/, ''),
  };
}

/** The whole document as values, without the command and args of mcp_servers.* (what wrap owns). */
function valuesOutsideCommandAndArgs(text: string): unknown {
  const value = getStaticTOMLValue(parseTOML(text.replace(/^\uFEFF/, ''))) as Record<string, Record<string, Record<string, unknown>>>;
  for (const server of Object.values(value.mcp_servers ?? {})) {
    delete server.command;
    delete server.args;
  }
  return value;
}

describe('config.toml corpus: wrap and unwrap', () => {
  it('has at least 25 real-world shapes', () => {
    assert.ok(corpusFiles().length >= 25, `${corpusFiles().length} files`);
  });

  for (const file of corpusFiles()) {
    const original = fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8');
    for (const [variant, text] of Object.entries(variants(original))) {
      it(`${file} (${variant}): wrap then unwrap gives the original bytes, wrap twice is a no-op, other keys unchanged`, () => {
        const before = parseCodexConfig(text, file);
        assert.equal(before.error, undefined);
        const wrapped = wrapServersInText(text, 'all', { shimCommand: LAUNCHER });
        assert.ok(wrapped.ok);
        const changed = wrapped.servers.filter((s) => s.result === 'changed').map((s) => s.name);
        const expected = before.servers.filter((s) => s.transport === 'stdio' && !s.wrapped && s.command !== undefined).map((s) => s.name);
        assert.deepEqual(changed, expected);

        const after = parseCodexConfig(wrapped.text, file);
        assert.equal(after.error, undefined, `wrapped text does not parse: ${JSON.stringify(after.error)}\n${wrapped.text}`);
        for (const name of changed) {
          const was = before.servers.find((s) => s.name === name)!;
          const now = after.servers.find((s) => s.name === name)!;
          assert.equal(now.command, LAUNCHER);
          assert.deepEqual(now.args, ['--', was.command, ...was.args]);
          assert.deepEqual(now.inner, { command: was.command, args: was.args });
        }
        assert.deepEqual(valuesOutsideCommandAndArgs(wrapped.text), valuesOutsideCommandAndArgs(text));

        const again = wrapServersInText(wrapped.text, 'all', { shimCommand: LAUNCHER });
        assert.ok(again.ok);
        assert.equal(again.text, wrapped.text);

        const unwrapped = unwrapServersInText(wrapped.text, changed);
        assert.ok(unwrapped.ok);
        assert.equal(unwrapped.text, text);
      });
    }
  }
});
