import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ConfigChangedError,
  ConfigEncodingError,
  readConfigSnapshot,
  unwrapServersInText,
  wrapServersInText,
  writeConfigText,
} from '../../../src/core/codexConfig';

const SHIM = 'codex-thread-shim';

describe('config.toml editing rules', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-edit-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a file with a syntax error, with its line and column', () => {
    const plan = wrapServersInText('[mcp_servers.a]\ncommand = "a"\nargs = ["x" "y"]\n', 'all', { shimCommand: SHIM });
    assert.ok(!plan.ok && plan.kind === 'syntax');
    assert.deepEqual({ line: plan.problem.line, column: plan.problem.column }, { line: 3, column: 13 });
  });

  it('refuses unknown server names and names them all', () => {
    const plan = wrapServersInText('[mcp_servers.a]\ncommand = "a"\n', ['a', 'b', 'c'], { shimCommand: SHIM });
    assert.deepEqual(plan, { ok: false, kind: 'unknown-server', names: ['b', 'c'] });
  });

  it('does not offer url servers and leaves them byte for byte', () => {
    const text = '[mcp_servers.r]\nurl = "https://x/mcp"\n';
    const plan = wrapServersInText(text, ['r'], { shimCommand: SHIM });
    assert.ok(plan.ok);
    assert.deepEqual(plan.servers, [{ name: 'r', result: 'remote' }]);
    assert.equal(plan.text, text);
  });

  it('unwraps a hand-wrapped server (with shim options before --) to its real command and args', () => {
    const text = '[mcp_servers.n]\ncommand = "codex-thread-shim"\nargs = ["--name", "notes", "--", "notes-server", "mcp", "serve"]\nenv = { A = "1" }\n';
    const plan = unwrapServersInText(text, ['n']);
    assert.ok(plan.ok);
    assert.equal(plan.text, '[mcp_servers.n]\ncommand = "notes-server"\nargs = ["mcp", "serve"]\nenv = { A = "1" }\n');
  });

  it('writes the launcher path as a TOML string that Codex reads back exactly (Windows backslashes)', () => {
    const launcher = 'C:\\Users\\me\\.codex\\bin\\codex-thread-shim.cmd';
    const plan = wrapServersInText('[mcp_servers.a]\ncommand = "a"\n', 'all', { shimCommand: launcher });
    assert.ok(plan.ok);
    assert.equal(plan.text, '[mcp_servers.a]\ncommand = "C:\\\\Users\\\\me\\\\.codex\\\\bin\\\\codex-thread-shim.cmd"\nargs = ["--", "a"]\n');
  });

  it('writes atomically, keeps config.toml.bak and the file mode', async () => {
    const file = path.join(dir, 'config.toml');
    fs.writeFileSync(file, '[mcp_servers.a]\ncommand = "a"\n', { mode: 0o640 });
    fs.chmodSync(file, 0o640);
    const snap = await readConfigSnapshot(file);
    const plan = wrapServersInText(snap.text, 'all', { shimCommand: SHIM });
    assert.ok(plan.ok);
    await writeConfigText(snap, plan.text);
    assert.equal(fs.readFileSync(file, 'utf8'), plan.text);
    assert.equal(fs.readFileSync(`${file}.bak`, 'utf8'), snap.text);
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['config.toml', 'config.toml.bak']);
  });

  it('refuses to write when the file changed since it was read, and leaves it untouched', async () => {
    const file = path.join(dir, 'config.toml');
    fs.writeFileSync(file, '[mcp_servers.a]\ncommand = "a"\n');
    const snap = await readConfigSnapshot(file);
    fs.appendFileSync(file, '# edited meanwhile\n');
    const edited = fs.readFileSync(file, 'utf8');
    await assert.rejects(writeConfigText(snap, 'x = 1\n'), ConfigChangedError);
    assert.equal(fs.readFileSync(file, 'utf8'), edited);
    assert.equal(fs.existsSync(`${file}.bak`), false);
  });

  it('writes through a symlinked config.toml to its target', async () => {
    const real = path.join(dir, 'dotfiles-config.toml');
    const link = path.join(dir, 'config.toml');
    fs.writeFileSync(real, '[mcp_servers.a]\ncommand = "a"\n');
    fs.symlinkSync(real, link);
    const snap = await readConfigSnapshot(link);
    await writeConfigText(snap, 'changed = true\n');
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readFileSync(real, 'utf8'), 'changed = true\n');
  });

  it('refuses a file that is not UTF-8 rather than rewriting bytes it did not mean to touch', async () => {
    const file = path.join(dir, 'config.toml');
    fs.writeFileSync(file, Buffer.from([0x61, 0x20, 0x3d, 0x20, 0x22, 0xff, 0x22, 0x0a]));
    await assert.rejects(readConfigSnapshot(file), ConfigEncodingError);
  });
});
