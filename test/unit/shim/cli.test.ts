import * as assert from 'node:assert/strict';
import { DEFAULT_WAIT_MS, parseArgs, type CliResult } from '../../../src/shim/cli';
import { unifiedDiff } from '../../../src/shim/commands/unifiedDiff';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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

describe('config subcommands (wrap, unwrap, status) from the command line', () => {
  const SHIM_JS = path.resolve(__dirname, '../../../../dist/shim.js');
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const config = (): string => path.join(dir, '.codex', 'config.toml');
  const shim = (args: string[]) => spawnSync(process.execPath, [SHIM_JS, ...args], { env, encoding: 'utf8' });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-config-'));
    fs.mkdirSync(path.join(dir, '.codex'));
    env = { PATH: process.env.PATH, HOME: dir, CODEX_HOME: path.join(dir, '.codex') };
    fs.writeFileSync(config(), '# mine\r\n[mcp_servers.notes]\r\ncommand = "notes-server"\r\nargs = ["mcp"]\r\n[mcp_servers.web]\r\nurl = "http://127.0.0.1:1/mcp"\r\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('wrap --dry-run prints the unified diff and changes nothing', () => {
    const before = fs.readFileSync(config(), 'utf8');
    const r = shim(['wrap', '--all', '--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^--- .*config\.toml\n\+\+\+ .*\n@@ -1,6 \+1,6 @@\n # mine\n \[mcp_servers\.notes\]\n-command = "notes-server"\n-args = \["mcp"\]\n\+command = "codex-thread-shim"\n\+args = \["--", "notes-server", "mcp"\]\n/);
    assert.equal(fs.readFileSync(config(), 'utf8'), before);
  });

  it('wrap writes the file with a backup, wrap again changes nothing, unwrap restores the bytes; all exit 0', () => {
    const before = fs.readFileSync(config(), 'utf8');
    const r = shim(['wrap', 'notes']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrapped: notes/);
    assert.equal(fs.readFileSync(`${config()}.bak`, 'utf8'), before);
    const wrapped = fs.readFileSync(config(), 'utf8');
    assert.ok(wrapped.includes('command = "codex-thread-shim"\r\nargs = ["--", "notes-server", "mcp"]\r\n'));
    const again = shim(['wrap', '--all', '--json']);
    assert.equal(again.status, 0);
    assert.equal(JSON.parse(again.stdout).changed, false);
    assert.equal(fs.readFileSync(config(), 'utf8'), wrapped);
    assert.equal(shim(['unwrap', '--all']).status, 0);
    assert.equal(fs.readFileSync(config(), 'utf8'), before);
  });

  it('exits 1 and changes nothing for an unknown server or a syntax error (with line and column)', () => {
    const unknown = shim(['wrap', 'nope', '--json']);
    assert.equal(unknown.status, 1);
    assert.deepEqual(JSON.parse(unknown.stdout).error.names, ['nope']);
    fs.writeFileSync(config(), '[mcp_servers.a]\ncommand = "a"\nargs = ["x" "y"]\n');
    const broken = shim(['wrap', '--all']);
    assert.equal(broken.status, 1);
    assert.match(broken.stderr, /config\.toml:3:13: .*nothing was changed/);
    assert.equal(fs.readFileSync(config(), 'utf8'), '[mcp_servers.a]\ncommand = "a"\nargs = ["x" "y"]\n');
  });

  it('exits 2 on usage errors', () => {
    assert.equal(shim(['wrap']).status, 2);
    assert.equal(shim(['wrap', 'a', '--all']).status, 2);
    assert.equal(shim(['status', 'x']).status, 2);
    assert.equal(shim(['unwrap', '--bogus']).status, 2);
  });

  it('status --json lists servers, wrapped or not, and the launcher', () => {
    shim(['wrap', 'notes', '--config', config()]);
    const r = shim(['status', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const servers = report.configs[0].servers.map((s: { name: string; wrapped: boolean; transport: string }) => [s.name, s.wrapped, s.transport]);
    assert.deepEqual(servers, [['notes', true, 'stdio'], ['web', false, 'http']]);
    assert.equal(report.launcher.state, 'missing');
  });
});

describe('unified diff of --dry-run', () => {
  it('is a patch that `patch` applies to give the new text (several hunks, a missing final newline)', function () {
    if (spawnSync('patch', ['--version']).status !== 0) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-'));
    try {
      const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
      const oldText = lines.join('\n');
      const changed = [...lines];
      changed[2] = 'changed 2';
      changed.splice(20, 1, 'a', 'b');
      changed[39] = 'last changed';
      const newText = changed.join('\n') + '\n';
      const diff = unifiedDiff(oldText, newText, 'a/config.toml', 'b/config.toml');
      assert.equal((diff.match(/^@@ /gm) ?? []).length, 3);
      fs.writeFileSync(path.join(dir, 'config.toml'), oldText);
      fs.writeFileSync(path.join(dir, 'x.diff'), diff);
      const r = spawnSync('patch', ['-p1', '-i', 'x.diff'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.equal(fs.readFileSync(path.join(dir, 'config.toml'), 'utf8'), newText);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
