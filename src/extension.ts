// Composition root: builds the parts, wires them, and hands every registration to VS Code's
// disposal list. Logic lives in src/core (no vscode) and in the UI folders.
import * as vscode from 'vscode';
import { ContextStore } from './core/store/contextStore';
import { gcIfDue } from './core/store/gcIfDue';
import { registerConfigCommands } from './ui/config';
import { CodexViews } from './ui/codexViews';
import { ExtensionLog } from './ui/log';
import { registerBindingCommands } from './ui/commands/bindingCommands';
import { registerThreadCommands } from './ui/commands/threadCommands';
import { registerViewCommands } from './ui/commands/viewCommands';
import { ReadOnlyDocuments } from './ui/readOnlyDocuments';
import { CodexConfigFiles } from './ui/servers/codexConfigFiles';
import { readSettings } from './ui/settings';
import { createApi, type CodexThreadContextApi } from './ui/testApi';
import { ThreadsSession } from './ui/threadsSession';
import { registerTerminalCommands } from './ui/terminals/terminalCommands';
import { TerminalStatusBar } from './ui/terminals/terminalStatusBar';
import { TerminalTracker } from './ui/terminals/terminalTracker';

export function activate(context: vscode.ExtensionContext): CodexThreadContextApi {
  const started = Date.now();
  const log = new ExtensionLog();
  const session = new ThreadsSession(log, context.globalStorageUri.fsPath);
  const configs = new CodexConfigFiles(log);
  const docs = new ReadOnlyDocuments(log);
  const views = new CodexViews(context.workspaceState, session, configs);
  const terminals = new TerminalTracker(session, log);
  const terminalStatus = new TerminalStatusBar(terminals, session);
  views.showTerminals(
    {
      now: (id) => {
        const found = terminals.terminalOf(id);
        return found && { name: found.terminal.name, probable: found.association.certainty !== 'exact' };
      },
      history: (id) => terminals.history(id),
    },
    terminals.onDidChange,
  );
  const folders = (): string[] => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  let configKey = `${session.settings.codexHome}\n${folders().join('\n')}`;
  context.subscriptions.push(
    log,
    session,
    configs,
    docs,
    views,
    terminals,
    terminalStatus,
    ...registerTerminalCommands(views, terminals),
    ...registerThreadCommands(views, docs, log),
    ...registerBindingCommands(views, session, docs, log),
    ...registerViewCommands(views, session, configs, log, context.extensionUri),
    // Also installs or refreshes the launcher wrapped configs point at (<codex home>/bin).
    ...registerConfigCommands({
      codexHome: () => session.settings.codexHome,
      extensionPath: context.extensionPath,
      version: String((context.extension.packageJSON as { version?: string }).version ?? ''),
      onDidWriteConfig: () => void configs.use(session.settings.codexHome, folders()),
      log: (m) => log.info(m),
    }),
    vscode.commands.registerCommand('codexThreadContext.showStoreLocation', async () => {
      const root = new ContextStore({ root: readSettings().storeRoot }).root;
      const choice = await vscode.window.showInformationMessage(`Codex Thread Context store: ${root}`, 'Copy Path');
      if (choice === 'Copy Path') {
        await vscode.env.clipboard.writeText(root);
      }
    }),
    // The config files follow the Codex home setting and the folders, like the session does.
    session.onDidChange(() => {
      const key = `${session.settings.codexHome}\n${folders().join('\n')}`;
      if (key !== configKey) {
        configKey = key;
        void configs.use(session.settings.codexHome, folders());
      }
    }),
  );
  void configs.use(session.settings.codexHome, folders());
  const firstRows = session.onDidChange(() => {
    if (session.threads?.loaded) {
      firstRows.dispose();
      log.info(`rows ready in ${Date.now() - started} ms (${session.threads.model().byId.size} threads)`);
    }
  });
  context.subscriptions.push(firstRows);
  void session.start().then(async () => {
    log.info(`activated in ${Date.now() - started} ms`);
    // The store's clean-up, at most once an hour across the shims and windows that share it.
    const store = session.store;
    const removed = store ? await gcIfDue(store).catch((err: unknown) => log.warn(`context store clean-up failed: ${(err as Error).message}`)) : undefined;
    if (removed && removed.length > 0) {
      log.info(`context store clean-up removed ${removed.length} file(s) of ended threads`);
    }
  });
  return createApi(views, log, { tracker: terminals, statusBar: terminalStatus });
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
