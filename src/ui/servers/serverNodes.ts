// The MCP Servers view's rows: every server of the config files Codex reads, wrapped or not,
// with the live threads each one serves now; a file with a syntax error is one error row.
import * as path from 'node:path';
import type { CodexConfigFile } from '../../core/codexConfig/types';
import { bindingIcon, bindingPresentation, serverPresentation } from '../../core/workspace/treePresentation';
import type { BindingView, ThreadView, WorkspaceModel } from '../../core/workspace/threadModel';
import type { UiNode } from '../tree/uiNode';

function liveBindingsByServer(model: WorkspaceModel): Map<string, { thread: ThreadView; binding: BindingView }[]> {
  const out = new Map<string, { thread: ThreadView; binding: BindingView }[]>();
  for (const t of model.byId.values()) {
    for (const b of t.bindings) {
      if (b.processAlive) {
        out.set(b.server, [...(out.get(b.server) ?? []), { thread: t, binding: b }]);
      }
    }
  }
  return out;
}

function servedThreadNodes(serverId: string, served: { thread: ThreadView; binding: BindingView }[], now: number): UiNode[] {
  return served.map(({ thread, binding }) => {
    const b = bindingPresentation(binding, now);
    return {
      id: `${serverId}/${thread.id}/${binding.record.shimPid}`,
      presentation: {
        label: thread.label,
        description: b.description,
        icon: bindingIcon(binding),
        contextValue: `servedThread.${binding.state}${binding.flag ? `.${binding.flag}` : ''}${binding.record.stderrLog ? '.stderr' : ''}`,
        tooltip: b.tooltip,
      },
      thread,
      binding,
      children: [],
    };
  });
}

export function serverRoots(files: readonly CodexConfigFile[], model: WorkspaceModel, codexHome: string, now: number): UiNode[] {
  const out: UiNode[] = [];
  const served = liveBindingsByServer(model);
  for (const f of files) {
    if (f.error) {
      out.push({
        id: `config-error/${f.file}`,
        presentation: {
          label: `${path.basename(path.dirname(f.file)) === '.codex' ? '.codex/config.toml' : 'config.toml'}: ${f.error.message}`,
          description: `line ${f.error.line}, column ${f.error.column}`,
          icon: { id: 'error', color: 'list.errorForeground' },
          contextValue: 'configError',
          tooltip: () => `\`${f.file}\` is not valid TOML: ${f.error!.message} (line ${f.error!.line}, column ${f.error!.column}). Codex cannot read it either. Click to open it there.`,
        },
        command: { command: 'codexThreadContext.openConfigAt', title: 'Open', arguments: [f.file, f.error.line, f.error.column] },
        children: [],
      });
    }
  }
  const servers = files.flatMap((f) => f.servers);
  const stdio = servers.filter((s) => s.transport === 'stdio');
  if (stdio.length > 0 && !stdio.some((s) => s.wrapped)) {
    out.push({
      id: 'hint/no-wrapped',
      presentation: {
        label: 'No server runs through the shim yet',
        description: 'wrapped servers get the thread id',
        icon: { id: 'info' },
        contextValue: 'hint.noWrapped',
        tooltip: () => 'Put `codex-thread-shim --` in front of a server command in config.toml (see the README, "Wrapping a server by hand").',
      },
      command: { command: 'codexThreadContext.openReadme', title: 'Open README', arguments: ['wrapping-a-server-by-hand'] },
      children: [],
    });
  }
  const configured = new Set<string>();
  for (const s of servers) {
    configured.add(s.name);
    const id = `server/${s.file}/${s.name}`;
    const live = s.transport === 'stdio' ? (served.get(s.name) ?? []) : [];
    out.push({ id, presentation: serverPresentation(s, new Set(live.map((x) => x.thread.id)).size, codexHome), config: s, children: servedThreadNodes(id, live, now) });
  }
  for (const [name, live] of served) {
    if (configured.has(name)) {
      continue;
    }
    const id = `server/unconfigured/${name}`;
    out.push({
      id,
      presentation: {
        label: name,
        description: `not in config.toml · ${live.length} live`,
        icon: { id: 'plug', color: 'charts.green' },
        contextValue: 'mcpServer.unconfigured',
        tooltip: () => `Shims record this name (\`--name\` or the command's base name), but no \`[mcp_servers.${name}]\` table in the config files of this workspace has it.`,
      },
      children: servedThreadNodes(id, live, now),
    });
  }
  return out;
}
