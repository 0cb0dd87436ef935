// Wrap and unwrap from VS Code, in a real VS Code: the inline command on an MCP server shows the
// diff of config.toml against the proposed text, writes it (confirmation skipped with
// `{ confirm: false }`, as a script may), keeps config.toml.bak, and the MCP Servers view shows the
// server as wrapped; unwrap gives back the original bytes.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseCodexConfig } from '../../../src/core/codexConfig';

const EXTENSION_ID = 'codex-thread-context.codex-thread-context';

interface SnapshotNode {
  label: string;
  contextValue?: string;
  children: SnapshotNode[];
}

interface Api {
  whenIdle(): Promise<void>;
  snapshot(view: 'threads' | 'servers'): Promise<SnapshotNode[]>;
}

function flatten(nodes: SnapshotNode[]): SnapshotNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('wrap and unwrap MCP servers from VS Code', () => {
  it('wraps a server after showing the diff, the view marks it wrapped, and unwrap restores the bytes', async () => {
    const extension = vscode.extensions.getExtension<Api>(EXTENSION_ID)!;
    const api = await extension.activate();
    const file = path.join(process.env.CODEX_HOME!, 'config.toml');
    const original = fs.readFileSync(file, 'utf8');
    try {
      const withServer = `${original}\n# added by the wrap test\n[mcp_servers.itest]\ncommand = 'itest-server'   # literal quotes stay\nargs = ["--stdio"]\nenv = { A = "1" }\n`;
      fs.writeFileSync(file, withServer);
      const server = parseCodexConfig(withServer, file).servers.find((s) => s.name === 'itest')!;

      await vscode.commands.executeCommand('codexThreadContext.wrapServer', { config: server }, { confirm: false });

      const diffTab = vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === 'codex-thread-context-proposed');
      assert.ok(diffTab, 'a diff of config.toml against the proposed text was shown');
      const wrapped = parseCodexConfig(fs.readFileSync(file, 'utf8'), file).servers.find((s) => s.name === 'itest')!;
      assert.equal(wrapped.wrapped, true);
      assert.equal(wrapped.command, path.join(process.env.CODEX_HOME!, 'bin', process.platform === 'win32' ? 'codex-thread-shim.cmd' : 'codex-thread-shim'));
      assert.deepEqual(wrapped.args, ['--', 'itest-server', '--stdio']);
      assert.equal(fs.readFileSync(`${file}.bak`, 'utf8'), withServer);

      await eventually('the MCP Servers view to show itest as wrapped', async () => {
        await api.whenIdle();
        const row = flatten(await api.snapshot('servers')).find((n) => n.label === 'itest');
        return row?.contextValue === 'mcpServer.wrapped' ? row : undefined;
      });

      await vscode.commands.executeCommand('codexThreadContext.unwrapServer', { config: wrapped }, { confirm: false });
      assert.equal(fs.readFileSync(file, 'utf8'), withServer);
    } finally {
      fs.writeFileSync(file, original);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });
});
