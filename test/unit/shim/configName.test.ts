import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandBaseName, matchServer, readMcpServers, serverNameFromConfig } from '../../../src/shim/configName';
import { cleanupAll, tempDir } from './helpers';

const SHIM = '/opt/lib/node_modules/codex-thread-context/dist/shim.js';

describe('server name from config.toml', () => {
  afterEach(cleanupAll);

  it('reads mcp_servers tables in the forms Codex users write', () => {
    const servers = readMcpServers(`
model = "o4"   # a comment
[mcp_servers.notes]
command = "codex-thread-shim"
args = [
  "--", # the shim's own separator
  "node", 'C:\\srv\\notes.js',
]
env = { A = "1" }

[mcp_servers."dotted.name"]
command = 'node'
args = ["${SHIM}", "--", "python3", "-m", "srv"]
enabled = false

[mcp_servers.inline]
command = """codex-thread-shim"""
args = ["--name", "i\\u00e9", "--", "uvx", "thing"]

[mcp_servers]
other = { command = "x", args = ["--", "y"] }

[mcp_servers.dots]
command.ignored = 1
`)!;
    assert.ok(servers);
    const byName = Object.fromEntries(servers.map((s) => [s.name, s]));
    assert.deepEqual(byName.notes.args, ['--', 'node', 'C:\\srv\\notes.js']);
    assert.equal(byName.notes.command, 'codex-thread-shim');
    assert.equal(byName['dotted.name'].enabled, false);
    assert.deepEqual(byName.inline.args, ['--name', 'ié', '--', 'uvx', 'thing']);
    assert.equal(byName.inline.command, 'codex-thread-shim');
    assert.deepEqual(byName.other, { name: 'other', command: 'x', args: ['--', 'y'], enabled: true });
  });

  it('gives up quietly on text it cannot read', () => {
    assert.equal(readMcpServers('[mcp_servers.x\ncommand = "a"'), undefined);
    assert.equal(readMcpServers('key = "unterminated'), undefined);
    assert.deepEqual(readMcpServers(''), []);
  });

  it('matches the table whose args are this shim invocation', () => {
    const servers = [
      { name: 'a', command: 'codex-thread-shim', args: ['--', 'node', 'a.js'] },
      { name: 'b', command: 'node', args: [SHIM, '--', 'node', 'b.js'] },
      { name: 'c', command: 'npx', args: ['-y', 'codex-thread-shim', '--', 'node', 'c.js'] },
      { name: 'off', command: 'codex-thread-shim', args: ['--', 'node', 'off.js'], enabled: false },
    ];
    assert.equal(matchServer(servers, ['--', 'node', 'a.js'], '/usr/bin/codex-thread-shim'), 'a');
    assert.equal(matchServer(servers, ['--', 'node', 'b.js'], SHIM), 'b');
    assert.equal(matchServer(servers, ['--', 'node', 'c.js'], '/home/u/.npm/_npx/1/node_modules/.bin/codex-thread-shim'), 'c');
    assert.equal(matchServer(servers, ['--', 'node', 'off.js'], SHIM), undefined);
    assert.equal(matchServer(servers, ['--', 'node', 'other.js'], SHIM), undefined);
  });

  it('refuses to guess between two equally good matches', () => {
    const servers = [
      { name: 'one', command: 'node', args: ['/x/a/shim.js', '--', 's'] },
      { name: 'two', command: 'node', args: ['/x/b/shim.js', '--', 's'] },
    ];
    assert.equal(matchServer(servers, ['--', 's'], '/x/c/shim.js'), undefined);
    const exact = [
      { name: 'one', command: 'codex-thread-shim', args: ['--', 's'] },
      { name: 'two', command: 'other-wrapper', args: ['--', 's'] },
    ];
    assert.equal(matchServer(exact, ['--', 's'], '/usr/local/bin/codex-thread-shim'), 'one');
  });

  it('looks in the project layer, then the Codex home, and falls back to the base name', () => {
    const home = tempDir();
    const project = tempDir();
    fs.writeFileSync(path.join(home, 'config.toml'), '[mcp_servers.from_home]\ncommand = "codex-thread-shim"\nargs = ["--", "srv"]\n');
    assert.equal(serverNameFromConfig(home, project, ['--', 'srv'], '/bin/codex-thread-shim'), 'from_home');
    fs.mkdirSync(path.join(project, '.codex'));
    fs.writeFileSync(path.join(project, '.codex', 'config.toml'), '[mcp_servers.from_project]\ncommand = "codex-thread-shim"\nargs = ["--", "srv"]\n');
    assert.equal(serverNameFromConfig(home, project, ['--', 'srv'], '/bin/codex-thread-shim'), 'from_project');
    assert.equal(serverNameFromConfig(path.join(home, 'missing'), home, ['--', 'srv'], undefined), undefined);
    assert.equal(commandBaseName('/usr/bin/python3'), 'python3');
    assert.equal(commandBaseName('C:\\Tools\\server.EXE'), 'server');
    assert.equal(commandBaseName('npx'), 'npx');
  });
});
