import * as assert from 'node:assert/strict';
import { DEFAULT_WAIT_MS, parseArgs, type CliResult } from '../../../src/shim/cli';

function run(argv: string[]): Extract<CliResult, { kind: 'run' }>['options'] {
  const r = parseArgs(argv);
  assert.equal(r.kind, 'run', JSON.stringify(r));
  return (r as Extract<CliResult, { kind: 'run' }>).options;
}

function usageError(argv: string[]): string {
  const r = parseArgs(argv);
  assert.equal(r.kind, 'usage-error', JSON.stringify(r));
  return (r as Extract<CliResult, { kind: 'usage-error' }>).message;
}

describe('shim command line', () => {
  it('takes the server command after --, with defaults', () => {
    assert.deepEqual(run(['--', 'node', 'server.js', '--port', '3']), {
      name: undefined,
      codexHome: undefined,
      waitMs: DEFAULT_WAIT_MS,
      ifUnresolved: 'start',
      onMismatch: 'restart',
      command: 'node',
      args: ['server.js', '--port', '3'],
    });
  });

  it('reads every option, in both --opt value and --opt=value form', () => {
    const o = run(['--name', 'notes', '--codex-home=/tmp/ch', '--wait', '250', '--if-unresolved=fail', '--on-mismatch', 'keep', '--', 'srv']);
    assert.equal(o.name, 'notes');
    assert.equal(o.codexHome, '/tmp/ch');
    assert.equal(o.waitMs, 250);
    assert.equal(o.ifUnresolved, 'fail');
    assert.equal(o.onMismatch, 'keep');
    assert.equal(o.command, 'srv');
    assert.deepEqual(o.args, []);
  });

  it('starts the command at the first non-option word when there is no --', () => {
    const o = run(['--name', 'x', 'node', 'server.js', '--name', 'y']);
    assert.equal(o.name, 'x');
    assert.equal(o.command, 'node');
    assert.deepEqual(o.args, ['server.js', '--name', 'y']);
  });

  it('leaves everything after -- to the server, option-looking words included', () => {
    const o = run(['--', '--help']);
    assert.equal(o.command, '--help');
  });

  it('recognises --help, -h and --version before the command', () => {
    assert.equal(parseArgs(['--help']).kind, 'help');
    assert.equal(parseArgs(['-h', '--', 'x']).kind, 'help');
    assert.equal(parseArgs(['--version']).kind, 'version');
    assert.equal(parseArgs(['--name', 'n', '--version']).kind, 'version');
  });

  it('rejects what it does not understand', () => {
    assert.match(usageError([]), /no server command/);
    assert.match(usageError(['--']), /no server command/);
    assert.match(usageError(['--name']), /--name needs a value/);
    assert.match(usageError(['--bogus', '--', 'x']), /unknown option "--bogus"/);
    assert.match(usageError(['--wait', 'soon', '--', 'x']), /--wait/);
    assert.match(usageError(['--wait', '-1', '--', 'x']), /--wait/);
    assert.match(usageError(['--wait', '999999999', '--', 'x']), /--wait/);
    assert.match(usageError(['--if-unresolved', 'maybe', '--', 'x']), /start or fail/);
    assert.match(usageError(['--on-mismatch', 'ignore', '--', 'x']), /restart or keep/);
    assert.match(usageError(['--name', '', '--', 'x']), /empty/);
  });
});
