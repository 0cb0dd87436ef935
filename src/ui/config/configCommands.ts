// The config commands of the extension: wrap/unwrap servers (quick pick or inline on an MCP
// Servers item), Copy Shim Snippet, Check Setup, and the launcher install at activation. All
// editing goes through the core (src/core/codexConfig); this file only asks and shows.

import * as vscode from 'vscode';
import { codexConfigFiles, readCodexConfigFile, tomlString, type McpServerConfig } from '../../core/codexConfig';
import { installLauncher, launcherPath, type LauncherTarget } from '../../core/launcher';
import { checkSetup } from './checkSetup';
import { editServersWithDiff, type EditKind, type EditOptions } from './editWithDiff';
import { launcherTargetFor } from './launcherSetup';
import { PROPOSED_SCHEME, ProposedTextProvider } from './proposedTextProvider';

export interface ConfigCommandDeps {
  /** The Codex home in effect (CODEX_HOME, else the setting, else ~/.codex). */
  codexHome(): string;
  /** The extension's folder (context.extensionPath): the shim is its dist/shim.js. */
  extensionPath: string;
  /** The extension's version, written into the launcher's header. */
  version: string;
  /** Called after a config file was written, e.g. to refresh the MCP Servers view. */
  onDidWriteConfig?(file: string): void;
  log(message: string): void;
}

/** An MCP Servers view item as the inline commands receive it (CONTRACTS.md). */
interface ServerNode {
  config: McpServerConfig;
}

export const CONFIG_COMMAND_IDS = {
  wrapServers: 'codexThreadContext.wrapServers',
  unwrapServers: 'codexThreadContext.unwrapServers',
  wrapServer: 'codexThreadContext.wrapServer',
  unwrapServer: 'codexThreadContext.unwrapServer',
  copyShimSnippet: 'codexThreadContext.copyShimSnippet',
  checkSetup: 'codexThreadContext.checkSetup',
  installLauncher: 'codexThreadContext.installLauncher',
} as const;

export function registerConfigCommands(deps: ConfigCommandDeps): vscode.Disposable[] {
  const proposed = new ProposedTextProvider();
  const editDeps = { codexHome: deps.codexHome, proposed, onDidWrite: deps.onDidWriteConfig, log: deps.log };
  const configFiles = (): string[] => codexConfigFiles(deps.codexHome(), (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
  const launcherTarget = async (): Promise<LauncherTarget> => launcherTargetFor(deps.extensionPath, deps.version);
  const install = async (): Promise<void> => {
    const result = await installLauncher(deps.codexHome(), await launcherTarget());
    if (result.written.length > 0) deps.log(`launcher written: ${result.written.join(', ')}`);
  };

  const stdioServers = async (): Promise<McpServerConfig[]> => {
    const files = await Promise.all(configFiles().map((f) => readCodexConfigFile(f)));
    for (const f of files) {
      if (f.error) deps.log(`${f.file}:${f.error.line}:${f.error.column}: ${f.error.message}`);
    }
    return files.flatMap((f) => f.servers).filter((s) => s.transport === 'stdio' && s.command !== undefined);
  };

  const pickAndEdit = async (kind: EditKind): Promise<void> => {
    const servers = await stdioServers();
    if (servers.length === 0) {
      void vscode.window.showInformationMessage(`No stdio MCP servers in ${configFiles().join(' or ')}.`);
      return;
    }
    const items = servers.map((s) => ({
      label: s.name,
      description: s.wrapped ? '$(check) wrapped' : 'not wrapped',
      detail: `${s.file}:${s.line} — ${[s.inner?.command ?? s.command, ...(s.inner?.args ?? s.args)].join(' ')}`,
      picked: kind === 'wrap' ? !s.wrapped : s.wrapped,
      server: s,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      title: kind === 'wrap' ? 'Wrap MCP Servers with the Thread Shim' : 'Unwrap MCP Servers',
      placeHolder: kind === 'wrap' ? 'Servers to start through codex-thread-shim (wrapped ones stay as they are)' : 'Servers to start directly again',
    });
    if (!picked || picked.length === 0) return;
    await editByFile(kind, picked.map((p) => p.server));
  };

  const editByFile = async (kind: EditKind, servers: McpServerConfig[], options: EditOptions = {}): Promise<void> => {
    if (kind === 'wrap') await install().catch((e) => deps.log(`launcher: ${(e as Error).message}`));
    const byFile = new Map<string, string[]>();
    for (const s of servers) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s.name]);
    for (const [file, names] of byFile) {
      await editServersWithDiff(kind, file, names, editDeps, options);
    }
  };

  const copySnippet = async (node?: ServerNode): Promise<void> => {
    let server = node?.config;
    if (!server) {
      const servers = await stdioServers();
      const pick = await vscode.window.showQuickPick(
        [{ label: 'A new server', description: 'a template to fill in' }, ...servers.map((s) => ({ label: s.name, description: s.wrapped ? 'wrapped' : '', server: s }))],
        { title: 'Copy Shim Snippet' },
      );
      if (!pick) return;
      server = 'server' in pick ? pick.server : undefined;
    }
    const inner = server ? (server.inner ?? { command: server.command ?? 'your-server', args: server.args }) : { command: 'your-server', args: ['--stdio'] };
    const name = server?.name ?? 'my-server';
    const snippet = [
      `[mcp_servers.${/^[A-Za-z0-9_-]+$/.test(name) ? name : tomlString(name)}]`,
      `command = ${tomlString(launcherPath(deps.codexHome()))}`,
      `args = [${['--', inner.command, ...inner.args].map(tomlString).join(', ')}]`,
      '',
    ].join('\n');
    await vscode.env.clipboard.writeText(snippet);
    void vscode.window.showInformationMessage(
      `Copied the [mcp_servers.${name}] table that starts it through the shim. With \`codex mcp add\`: codex mcp add ${name} -- ${launcherPath(deps.codexHome())} -- ${[inner.command, ...inner.args].join(' ')}`,
    );
  };

  // Keep the launcher current: the extension's folder (and so the shim's path) changes on update.
  void install().catch((e) => deps.log(`could not install the shim launcher: ${(e as Error).message}`));

  return [
    proposed,
    vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, proposed),
    vscode.commands.registerCommand(CONFIG_COMMAND_IDS.wrapServers, () => pickAndEdit('wrap')),
    vscode.commands.registerCommand(CONFIG_COMMAND_IDS.unwrapServers, () => pickAndEdit('unwrap')),
    // The second argument is for tests and scripts: `{ confirm: false }` applies after showing the diff.
    vscode.commands.registerCommand(CONFIG_COMMAND_IDS.wrapServer, (node?: ServerNode, options?: EditOptions) =>
      node?.config ? editByFile('wrap', [node.config], options) : pickAndEdit('wrap'),
    ),
    vscode.commands.registerCommand(CONFIG_COMMAND_IDS.unwrapServer, (node?: ServerNode, options?: EditOptions) =>
      node?.config ? editByFile('unwrap', [node.config], options) : pickAndEdit('unwrap'),
    ),
    vscode.commands.registerCommand(CONFIG_COMMAND_IDS.copyShimSnippet, copySnippet),
    vscode.commands.registerCommand(CONFIG_COMMAND_IDS.checkSetup, () => checkSetup({ codexHome: deps.codexHome, configFiles, launcherTarget, installLauncher: install, log: deps.log })),
    vscode.commands.registerCommand(CONFIG_COMMAND_IDS.installLauncher, async () => {
      await install();
      void vscode.window.showInformationMessage(`The shim launcher is installed: ${launcherPath(deps.codexHome())}`);
    }),
  ];
}
