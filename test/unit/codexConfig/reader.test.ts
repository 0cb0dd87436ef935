import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codexConfigFiles, parseCodexConfig, readCodexConfigFile, type McpServerConfig } from '../../../src/core/codexConfig';

const FILE = '/home/u/.codex/config.toml';

function byName(text: string): Record<string, McpServerConfig> {
  const parsed = parseCodexConfig(text, FILE);
  assert.equal(parsed.error, undefined, JSON.stringify(parsed.error));
  return Object.fromEntries(parsed.servers.map((s) => [s.name, s]));
}

describe('codexConfig reader', () => {
  it('reads [mcp_servers.X] tables with their command, args, cwd, enabled and header line', () => {
    const s = byName(`model = "o4"  # a comment

[mcp_servers.notes]
command = "notes-server"
args = [
  "mcp", # a comment inside
  'serve',
]
cwd = "/srv"
env = { TOKEN = "x" }

[mcp_servers.notes.env_more]
A = "1"

[mcp_servers.off]
command = "off"
enabled = false
`);
    assert.deepEqual(s.notes, {
      name: 'notes', file: FILE, line: 3, transport: 'stdio', command: 'notes-server', args: ['mcp', 'serve'],
      cwd: '/srv', enabled: true, wrapped: false,
    });
    assert.equal(s.off.enabled, false);
    assert.equal(s.off.line, 15);
    assert.deepEqual(s.off.args, []);
  });

  it('reads inline tables at top level and under [mcp_servers], with the line of their key', () => {
    const s = byName(`mcp_servers = { a = { command = "a-cmd", args = ["1"] }, b = { url = "http://127.0.0.1:9/mcp" } }
`);
    assert.equal(s.a.command, 'a-cmd');
    assert.deepEqual(s.a.args, ['1']);
    assert.equal(s.a.line, 1);
    assert.equal(s.b.transport, 'http');
    assert.equal(s.b.url, 'http://127.0.0.1:9/mcp');
    const t = byName(`[mcp_servers]
# first
x = { command = "x-cmd" }
y.command = "y-cmd"
y.args = ["--flag"]
`);
    assert.equal(t.x.command, 'x-cmd');
    assert.equal(t.x.line, 3);
    assert.equal(t.y.command, 'y-cmd');
    assert.deepEqual(t.y.args, ['--flag']);
    assert.equal(t.y.line, 4);
  });

  it('reads dotted keys at top level and quoted server names', () => {
    const s = byName(`mcp_servers.dot.command = "d"
mcp_servers . "spaced name" . command = 'lit'
[mcp_servers."my.server"]
command = """multi"""
args = ['C:\\tools\\srv.exe', "\\u00e9"]
`);
    assert.equal(s.dot.command, 'd');
    assert.equal(s['spaced name'].command, 'lit');
    assert.equal(s['my.server'].command, 'multi');
    assert.deepEqual(s['my.server'].args, ['C:\\tools\\srv.exe', 'é']);
    assert.equal(s['my.server'].line, 3);
  });

  it('ignores servers in other tables (profiles, other keys named like servers)', () => {
    const s = byName(`[profiles.fast]
model = "m"
[profiles.fast.mcp_servers.p]
command = "p"
[other.mcp_servers.q]
command = "q"
`);
    assert.deepEqual(Object.keys(s), []);
  });

  it('marks wrapped servers and finds the real command after --', () => {
    const s = byName(`[mcp_servers.launcher]
command = "/home/u/.codex/bin/codex-thread-shim"
args = ["--", "npx", "-y", "@x/server"]
[mcp_servers.named]
command = "codex-thread-shim"
args = ["--name", "n", "--", "uvx", "srv"]
[mcp_servers.node]
command = "node"
args = ["/ext/dist/shim.js", "--", "python3", "-m", "srv"]
[mcp_servers.cmd]
command = 'C:\\Users\\u\\.codex\\bin\\codex-thread-shim.cmd'
args = ["--", "srv.exe"]
[mcp_servers.plain]
command = "node"
args = ["server.js", "--", "x"]
`);
    assert.deepEqual(s.launcher.inner, { command: 'npx', args: ['-y', '@x/server'] });
    assert.deepEqual(s.named.inner, { command: 'uvx', args: ['srv'] });
    assert.deepEqual(s.node.inner, { command: 'python3', args: ['-m', 'srv'] });
    assert.deepEqual(s.cmd.inner, { command: 'srv.exe', args: [] });
    assert.equal(s.plain.wrapped, false);
    assert.equal(s.plain.inner, undefined);
  });

  it('reports a syntax error with its 1-based line and column and no servers', () => {
    const parsed = parseCodexConfig('[mcp_servers.ok]\ncommand = "a"\n\nargs = ["b" "c"]\n', FILE);
    assert.deepEqual(parsed.servers, []);
    assert.ok(parsed.error);
    assert.deepEqual({ line: parsed.error.line, column: parsed.error.column }, { line: 4, column: 13 });
    const dupe = parseCodexConfig('a = 1\n  a = 2\n', FILE);
    assert.deepEqual({ line: dupe.error?.line, column: dupe.error?.column }, { line: 2, column: 3 });
  });

  it('reads a file with a BOM and CRLF line ends', () => {
    const s = byName('\uFEFF# c\r\n[mcp_servers.w]\r\ncommand = "w"\r\nargs = ["a"]\r\n');
    assert.equal(s.w.line, 2);
    assert.deepEqual(s.w.args, ['a']);
  });

  it('reads a missing file as an empty, non-existing config', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
    try {
      assert.deepEqual(await readCodexConfigFile(path.join(dir, 'config.toml')), { file: path.join(dir, 'config.toml'), exists: false, servers: [] });
      fs.writeFileSync(path.join(dir, 'config.toml'), '[mcp_servers.a]\ncommand = "a"\n');
      const read = await readCodexConfigFile(path.join(dir, 'config.toml'));
      assert.equal(read.exists, true);
      assert.equal(read.servers[0].name, 'a');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the home config and each workspace folder\'s .codex/config.toml once', () => {
    assert.deepEqual(codexConfigFiles('/h/.codex', ['/w/a', '/w/b', '/w/a/']), [
      '/h/.codex/config.toml',
      '/w/a/.codex/config.toml',
      '/w/b/.codex/config.toml',
    ]);
  });
});
