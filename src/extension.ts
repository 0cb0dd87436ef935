// Composition root: builds the parts, wires them, and hands every registration to VS Code's
// disposal list. Logic lives in src/core (no vscode) and in the UI folders.
import * as vscode from 'vscode';
import { ContextStore } from './core/store/contextStore';
import { resolveStoreRoot } from './core/store/storeLocation';
import { resolveCodexHome } from './core/codexHome';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Codex Thread Context', { log: true });
  context.subscriptions.push(output);

  const makeStore = (): ContextStore => {
    const config = vscode.workspace.getConfiguration('codexThreadContext');
    const codexHome = resolveCodexHome(process.env, config.get<string>('codexHome'));
    const root = resolveStoreRoot(process.env, config.get<string>('storeDirectory'), codexHome);
    return new ContextStore({ root, logger: { warn: (m) => output.warn(m), debug: (m) => output.debug(m) } });
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('codexThreadContext.showStoreLocation', async () => {
      const store = makeStore();
      const choice = await vscode.window.showInformationMessage(`Codex Thread Context store: ${store.root}`, 'Copy Path');
      if (choice === 'Copy Path') {
        await vscode.env.clipboard.writeText(store.root);
      }
    }),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
