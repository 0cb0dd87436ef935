// The packaged extension as VS Code loads it: found under its id, activated, its commands there.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'codex-thread-context.codex-thread-context';

describe('the extension in a real VS Code', () => {
  it('is found under its id and activates without error', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not among the loaded extensions: ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
    await extension.activate();
    assert.equal(extension.isActive, true);
  });

  it('registers every command its package.json contributes, showStoreLocation among them', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    await extension.activate();
    const manifest = JSON.parse(fs.readFileSync(path.join(extension.extensionPath, 'package.json'), 'utf8')) as {
      contributes?: { commands?: { command: string }[] };
    };
    const contributed = (manifest.contributes?.commands ?? []).map((c) => c.command);
    assert.ok(contributed.includes('codexThreadContext.showStoreLocation'));
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('runs in the private Codex home the harness set up, not the real one', () => {
    const codexHome = process.env.CODEX_HOME;
    assert.ok(codexHome, 'CODEX_HOME is not set in the extension host');
    assert.ok(fs.existsSync(path.join(codexHome, 'config.toml')), `${codexHome}/config.toml is missing`);
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1, 'one workspace folder is open');
  });
});
