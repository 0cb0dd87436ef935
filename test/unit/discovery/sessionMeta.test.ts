import * as assert from 'node:assert/strict';
import { parseJsonPrefix } from '../../../src/core/discovery/jsonPrefix';
import { sessionMetaFromLine } from '../../../src/core/discovery/sessionMeta';
import { sessionMetaLine } from './fixtures';

const ID = '01a20df6-e654-7a30-b1da-ec2742e0f55b';
const PARENT = '01a20df6-0000-7a30-b1da-ec2742e0f55b';

describe('discovery/jsonPrefix', () => {
  it('parses complete JSON like JSON.parse', () => {
    const text = JSON.stringify({ a: [1, -2.5e3, true, false, null, 'x\\"y\u00e9'], b: { c: {} }, d: [] });
    assert.deepEqual(parseJsonPrefix(text), { value: JSON.parse(text), complete: true });
  });

  it('keeps complete members and drops the one that was cut', () => {
    assert.deepEqual(parseJsonPrefix('{"a":"one","b":{"c":2,"d":"tw'), { value: { a: 'one', b: { c: 2 } }, complete: false });
    assert.deepEqual(parseJsonPrefix('{"a":[1,2,{"x":1},"y'), { value: { a: [1, 2, { x: 1 }] }, complete: false });
    assert.deepEqual(parseJsonPrefix('{"n":12'), { value: {}, complete: false });
    assert.deepEqual(parseJsonPrefix('{"n":1.'), { value: {}, complete: false });
    assert.deepEqual(parseJsonPrefix('{"t":tr'), { value: {}, complete: false });
    assert.deepEqual(parseJsonPrefix('{"s":"a\\'), { value: {}, complete: false });
    assert.deepEqual(parseJsonPrefix(''), { value: undefined, complete: false });
  });

  it('still rejects text that is not JSON', () => {
    for (const bad of ['hello', '{"a":1}}', '{a:1}', '{"a" 1}', '{"a":1,,}', '[1 2]', '{"a":nul,', '{"a":.5}', '\u0000\u0000']) {
      assert.throws(() => parseJsonPrefix(bad), SyntaxError, bad);
    }
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    assert.throws(() => parseJsonPrefix('['.repeat(100_000)), SyntaxError);
  });
});

describe('discovery/sessionMeta', () => {
  it('reads the fields of a 0.169 first line', () => {
    const line = sessionMetaLine({ id: ID, cwd: '/src/app', originator: 'codex-tui', cliVersion: '0.169.0', source: 'vscode' });
    assert.deepEqual(sessionMetaFromLine(line, true), {
      id: ID, sessionId: ID, timestamp: new Date(parseInt('01a20df6e654', 16)).toISOString(), cwd: '/src/app', originator: 'codex-tui',
      cliVersion: '0.169.0', source: 'vscode', threadSource: 'user', modelProvider: 'openai', truncated: false,
    });
  });

  it('gets the same fields from every prefix that reaches past base_instructions’ start', () => {
    const line = sessionMetaLine({ id: ID, cwd: '/src/app', originator: 'codex_exec', instructionsBytes: 5000 });
    const full = sessionMetaFromLine(line, true);
    const cut = line.indexOf('"base_instructions"');
    for (let n = cut; n < line.length; n += 97) {
      const m = sessionMetaFromLine(line.slice(0, n), false);
      assert.ok(m, `prefix ${n}`);
      assert.deepEqual({ ...m, truncated: false }, full, `prefix ${n}`);
      assert.equal(m.truncated, true);
    }
  });

  it('never throws on any prefix of a line, and gives the id once it is complete', () => {
    const line = sessionMetaLine({ id: ID, instructionsBytes: 300 });
    const idEnd = line.indexOf(ID, line.indexOf('"id"')) + ID.length + 1;
    for (let n = 0; n <= line.length; n++) {
      const m = sessionMetaFromLine(line.slice(0, n), false);
      if (n > idEnd) {
        assert.equal(m?.id, ID, `prefix ${n}`);
      }
    }
  });

  it('finds the parent of a sub-agent and the source of a fork', () => {
    const sub = sessionMetaFromLine(sessionMetaLine({ id: ID, sessionId: PARENT, source: { subagent: { thread_spawn: { parent_thread_id: PARENT, depth: 1 } } } }), true);
    assert.equal(sub?.parentThreadId, PARENT);
    assert.equal(sub?.sessionId, PARENT);
    assert.equal(sub?.source, undefined);
    const fork = sessionMetaFromLine(sessionMetaLine({ id: ID, forkedFromId: PARENT }), true);
    assert.equal(fork?.forkedFromId, PARENT);
    assert.equal(fork?.parentThreadId, undefined);
  });

  it('reads the early format without the session_meta wrapper', () => {
    const line = JSON.stringify({ id: ID, timestamp: '2025-05-01T10:00:00Z', instructions: null, git: { branch: 'main' } });
    assert.deepEqual(sessionMetaFromLine(line, true), { id: ID, timestamp: '2025-05-01T10:00:00Z', truncated: false });
  });

  it('rejects lines that are not session metadata', () => {
    for (const line of [
      'not json',
      '[]',
      'null',
      JSON.stringify({ type: 'response_item', payload: { id: ID } }),
      JSON.stringify({ type: 'session_meta', payload: { id: 'not-a-uuid' } }),
      JSON.stringify({ type: 'session_meta', payload: { id: '../../etc/passwd' } }),
      JSON.stringify({ type: 'session_meta', payload: 'x' }),
      JSON.stringify({ type: 'session_meta' }),
    ]) {
      assert.equal(sessionMetaFromLine(line, true), undefined, line);
      assert.equal(sessionMetaFromLine(line, false), undefined, line);
    }
  });

  it('ignores fields of the wrong type', () => {
    const line = JSON.stringify({ type: 'session_meta', payload: { id: ID, cwd: 42, originator: ['x'], cli_version: null, session_id: 'nope' } });
    assert.deepEqual(sessionMetaFromLine(line, true), { id: ID, truncated: false });
  });
});
