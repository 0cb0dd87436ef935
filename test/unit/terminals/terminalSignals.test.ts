import * as assert from 'node:assert/strict';
import { TuiOutputScanner, isCodexCommandLine, threadFromCommandLine } from '../../../src/core/terminals/terminalSignals';

const ID = '019a2b3c-4d5e-7f60-8a1b-2c3d4e5f6a7b';

describe('terminal signals: command lines', () => {
  it('reads the thread of `codex resume <id>` and `codex fork <id>`', () => {
    assert.deepEqual(threadFromCommandLine(`codex resume ${ID}`), { verb: 'resume', threadId: ID });
    assert.deepEqual(threadFromCommandLine(`codex fork ${ID}`), { verb: 'fork', threadId: ID });
  });

  it('reads the thread through npx, a path, options, env assignments and `exec resume`', () => {
    for (const line of [
      `npx @openai/codex resume ${ID}`,
      `npx -y codex resume --no-daemon ${ID}`,
      `/usr/local/bin/codex --no-daemon resume ${ID}`,
      `RUST_LOG=info codex resume ${ID}`,
      `codex exec resume ${ID} "go on"`,
      `cd /tmp && codex resume ${ID.toUpperCase()}`,
    ]) {
      assert.deepEqual(threadFromCommandLine(line), { verb: line.includes('fork') ? 'fork' : 'resume', threadId: ID }, line);
    }
  });

  it('names no thread for other commands, `resume --last`, or an id that belongs to another command', () => {
    for (const line of [
      'codex',
      'codex resume --last',
      `echo codex resume ${ID}`,
      `codex-thread-shim resume ${ID}`,
      `codex resume; cat ${ID}`,
      `git log ${ID}`,
    ]) {
      assert.equal(threadFromCommandLine(line), undefined, line);
    }
  });

  it('tells a Codex command line from others', () => {
    for (const line of ['codex', 'codex --no-daemon', 'npx @openai/codex', 'ls && codex exec hi', 'FOO=1 codex', '~/bin/codex.js resume']) {
      assert.equal(isCodexCommandLine(line), true, line);
    }
    for (const line of ['ls', 'cd ~/codex && ls', 'codex-thread-shim status', 'echo codex', 'vim codex.md']) {
      assert.equal(isCodexCommandLine(line), false, line);
    }
  });
});

describe('terminal signals: the TUI output scanner', () => {
  it('reports turn starts and ends from OSC 7501 with BEL or ST terminators, in order', () => {
    const s = new TuiOutputScanner();
    const out = s.push('x\x1b]7501;state=working:app=codex\x07text\x1b]7501;state=done:app=codex\x07\x1b]7501;state=idle:app=codex\x1b\\more\x1b]7501;state=clear\x07');
    assert.deepEqual(out, [
      { kind: 'turn', state: 'working' },
      { kind: 'turn', state: 'done' },
      { kind: 'turn', state: 'idle' },
      { kind: 'turn', state: 'clear' },
    ]);
  });

  it('sees a sequence split across chunks, once', () => {
    const s = new TuiOutputScanner();
    assert.deepEqual(s.push('abc\x1b]75'), []);
    assert.deepEqual(s.push('01;state=work'), []);
    assert.deepEqual(s.push('ing:app=codex\x07'), [{ kind: 'turn', state: 'working' }]);
    assert.deepEqual(s.push('plain text'), []);
  });

  it('reports the header the TUI prints above a session it shows and its /resume picker, once, also split across chunks, before the turn signals of its chunk', () => {
    const s = new TuiOutputScanner();
    // As Codex 0.169 draws it: cursor moves between the words.
    assert.deepEqual(s.push('\x1b[1;1H \x1b[2;1H  \x1b[38;5;75;49m>_ \x1b[1m\x1b[39;49mOpenAI\x1b[2;12HCod'), []);
    assert.deepEqual(s.push('ex (v0.169.0)\x1b[0m\x1b]7501;state=working:app=codex\x07'), [{ kind: 'session' }, { kind: 'turn', state: 'working' }]);
    assert.deepEqual(s.push('more output'), []);
    assert.deepEqual(s.push('\x1b[1;1HResume a previous session\x1b[2;1HFilter:'), [{ kind: 'session' }], 'the /resume picker');
  });

  it('reads the thread from the reconnect line printed at exit, through colours and split chunks', () => {
    const s = new TuiOutputScanner();
    assert.deepEqual(s.push('Disconnected from this task. Any running work continues. \x1b[1mTo reconnect, run:\x1b[0m codex res'), []);
    assert.deepEqual(s.push(`ume ${ID.slice(0, 20)}`), []);
    assert.deepEqual(s.push(`${ID.slice(20)}\r\n`), [{ kind: 'reconnect', threadId: ID }]);
    assert.deepEqual(s.push('$ '), []);
  });

  it('keeps memory bounded on endless output without signals', () => {
    const s = new TuiOutputScanner();
    for (let i = 0; i < 1000; i++) {
      s.push('y'.repeat(10_000));
    }
    assert.ok(((s as unknown as { carry: string }).carry.length) <= 256);
  });
});
