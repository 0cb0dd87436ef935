// How threads, bindings and configured servers look in the tree views, as plain data (labels,
// codicon ids, theme colour ids, contextValues, Markdown tooltips), so it is decided and tested
// without VS Code. Icons follow the Testing view and Container Tools: a state codicon with a
// theme colour; anything unhealthy (restarted, lost, orphan, duplicate) differs from "running".
import * as path from 'node:path';
import type { McpServerConfig } from '../codexConfig/types';
import type { Resolution } from '../store/threadContext';
import type { BindingState } from './bindingState';
import { relativeTime } from './relativeTime';
import type { BindingView, ThreadView } from './threadModel';

export interface ItemIcon {
  id: string;
  color?: string;
}

export interface ItemPresentation {
  label: string;
  description?: string;
  icon?: ItemIcon;
  contextValue?: string;
  /** Markdown, built only when VS Code asks for the tooltip. */
  tooltip?: () => string;
}

const STATE_ICON: Record<BindingState, ItemIcon> = {
  starting: { id: 'loading~spin' },
  running: { id: 'pass', color: 'testing.iconPassed' },
  restarted: { id: 'debug-restart', color: 'charts.yellow' },
  replaced: { id: 'arrow-swap', color: 'disabledForeground' },
  exited: { id: 'circle-slash', color: 'disabledForeground' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  unresolved: { id: 'warning', color: 'list.warningForeground' },
  lost: { id: 'debug-disconnect', color: 'list.errorForeground' },
  unknown: { id: 'question' },
};

const RESOLUTION_TEXT: Record<Resolution, string> = {
  env: 'CODEX_THREAD_ID',
  'parent-open-files': "Codex's open files",
  'live-locks': 'live lock files',
  extension: "the extension's record",
  'per-call': 'a call’s thread id',
  unresolved: 'not found',
};

/** Short forms for the description (the tooltip says it in full). */
const RESOLUTION_SHORT: Record<Resolution, string> = {
  env: 'env',
  'parent-open-files': 'open files',
  'live-locks': 'lock files',
  extension: 'extension',
  'per-call': 'per call',
  unresolved: 'unresolved',
};

const MAX_LABEL = 24;

/** Long titles would hide the description (who started it, when): VS Code cuts the row's end. */
export function shortLabel(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1).trimEnd()}…` : label;
}

export function bindingIcon(b: BindingView): ItemIcon {
  if (b.flag) {
    return { id: 'warning', color: 'list.warningForeground' };
  }
  if (b.state === 'exited' && ((b.record.exitCode ?? 0) !== 0 || b.record.exitSignal === 'SIGKILL')) {
    return { id: 'error', color: 'testing.iconFailed' };
  }
  return STATE_ICON[b.state];
}

export function threadPresentation(t: ThreadView): ItemPresentation {
  const flagged = t.bindings.some((b) => b.flag);
  return {
    label: shortLabel(t.label),
    description: t.description,
    icon: t.live ? { id: 'circle-filled', color: 'charts.green' } : { id: 'circle-outline', color: 'disabledForeground' },
    contextValue: `thread.${t.live ? 'live' : 'ended'}${t.rolloutPath ? '.transcript' : ''}${t.contextFile ? '.context' : ''}${flagged ? '.flagged' : ''}`,
    tooltip: () => threadTooltip(t),
  };
}

export function bindingPresentation(b: BindingView, now: number): ItemPresentation {
  const r = b.record;
  const parts: string[] = [];
  if (b.flag === 'orphan') {
    parts.push('orphan: thread unloaded');
  } else if (b.flag === 'duplicate') {
    parts.push(`duplicate of pid ${b.duplicateOfShimPid}`);
  }
  parts.push(b.stateText);
  parts.push(`${r.callCount} ${r.callCount === 1 ? 'call' : 'calls'}`);
  const pid = r.serverPid ?? r.shimPid;
  if (b.processAlive || b.state === 'starting') {
    parts.push(`pid ${pid}`);
  }
  if (b.state !== 'exited' && b.state !== 'replaced') {
    parts.push(`via ${RESOLUTION_SHORT[r.resolvedBy] ?? r.resolvedBy}`);
  }
  return {
    label: r.server,
    description: parts.join(' · '),
    icon: bindingIcon(b),
    contextValue: `binding.${b.state}${b.flag ? `.${b.flag}` : ''}${r.stderrLog ? '.stderr' : ''}`,
    tooltip: () => bindingTooltip(b, now),
  };
}

export function serverPresentation(s: McpServerConfig, liveThreads: number, codexHome: string): ItemPresentation {
  const where = path.dirname(s.file) === codexHome ? undefined : `project ${path.basename(path.dirname(path.dirname(s.file)))}`;
  const parts: string[] = [];
  let icon: ItemIcon;
  let contextValue: string;
  if (s.transport === 'http') {
    parts.push('remote (HTTP)');
    icon = { id: 'globe', color: 'disabledForeground' };
    contextValue = 'mcpServer.remote';
  } else if (s.wrapped) {
    parts.push('wrapped');
    icon = { id: 'plug', color: 'charts.green' };
    contextValue = 'mcpServer.wrapped';
  } else {
    parts.push('not wrapped');
    icon = { id: 'plug', color: 'disabledForeground' };
    contextValue = 'mcpServer.unwrapped';
  }
  if (!s.enabled) {
    parts.push('disabled');
    icon = { id: 'circle-slash', color: 'disabledForeground' };
  }
  if (s.transport === 'stdio' && s.wrapped && liveThreads > 0) {
    parts.push(`${liveThreads} live ${liveThreads === 1 ? 'thread' : 'threads'}`);
  }
  if (where) {
    parts.push(where);
  }
  return {
    label: s.name,
    description: parts.join(' · '),
    icon,
    contextValue,
    tooltip: () => serverTooltip(s),
  };
}

function code(s: string): string {
  return '`' + s.replace(/`/g, "'") + '`';
}

function time(ms: number | undefined): string | undefined {
  return ms === undefined || Number.isNaN(ms) ? undefined : new Date(ms).toLocaleString();
}

function rows(pairs: [string, string | undefined][]): string {
  return pairs
    .filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '')
    .map(([k, v]) => `${k}: ${v}  `)
    .join('\n');
}

const ORIGIN_LONG: Record<string, string> = {
  terminal: 'the Codex TUI in a terminal',
  exec: '`codex exec`',
  ide: 'an IDE (app-server client)',
  'sub-agent': 'a parent thread (sub-agent)',
  other: 'another app-server client',
  unknown: 'unknown',
};

export function threadTooltip(t: ThreadView): string {
  const head = `**${escapeMd(t.title ?? 'Codex thread')}** ${t.live ? '(live)' : '(ended)'}\n\n`;
  return (
    head +
    rows([
      ['Thread id', code(t.id)],
      ['Folder (cwd)', code(t.cwd)],
      ['Started', time(t.startedAt)],
      ['Ended', t.live ? undefined : time(t.endedAt)],
      ['Started by', t.originator ? code(t.originator) : ORIGIN_LONG[t.origin]],
      ['Parent thread', t.parentId ? code(t.parentId) : undefined],
      ['Forked from', t.forkedFromId ? code(t.forkedFromId) : undefined],
      ['Codex version', t.cliVersion],
      ['Transcript (rollout)', t.rolloutPath ? code(t.rolloutPath) : 'none yet (written at the first message)'],
      ['Context file', t.contextFile ? code(t.contextFile) : 'none yet'],
      ['MCP servers bound', String(t.bindings.length)],
    ])
  );
}

export function bindingTooltip(b: BindingView, now: number): string {
  const r = b.record;
  const flagText =
    b.flag === 'orphan'
      ? '\n\n$(warning) **Orphan**: this server process still runs although its thread is no longer loaded by Codex. Stop it from the context menu.'
      : b.flag === 'duplicate'
        ? `\n\n$(warning) **Duplicate**: another instance of this server (shim pid ${b.duplicateOfShimPid}) already serves this thread.`
        : '';
  const corrections = r.corrections.length
    ? '\n\n**Corrections** (a call named another thread):\n\n' +
      r.corrections.map((c) => `- ${time(Date.parse(c.at))}: ${c.from ? code(c.from) : 'no id'} → ${code(c.to)} (${c.action === 'restart' ? 'restarted' : 'kept'})`).join('\n')
    : '';
  return (
    `**${escapeMd(r.server)}**: ${escapeMd(b.stateText)}\n\n` +
    rows([
      ['Thread', code(b.threadId)],
      ['Shim pid', String(r.shimPid)],
      ['Server pid', r.serverPid !== undefined ? String(r.serverPid) : undefined],
      ['Thread found by', RESOLUTION_TEXT[r.resolvedBy] ?? r.resolvedBy],
      ['Started', time(Date.parse(r.startedAt))],
      ['Ended', r.endedAt ? time(Date.parse(r.endedAt)) : undefined],
      ['Exit', r.exitSignal ?? (r.exitCode !== undefined ? `code ${r.exitCode}` : undefined)],
      ['Calls', String(r.callCount)],
      ['Last call', r.lastCallAt ? `${relativeTime(Date.parse(r.lastCallAt), now)} (${time(Date.parse(r.lastCallAt))})` : undefined],
      ['Stderr log', r.stderrLog ? code(r.stderrLog) : undefined],
    ]) +
    corrections +
    flagText
  );
}

export function serverTooltip(s: McpServerConfig): string {
  const cmd = s.transport === 'http' ? s.url : [s.command, ...s.args].filter(Boolean).join(' ');
  return (
    `**${escapeMd(s.name)}** ${s.transport === 'http' ? '(remote: the shim wraps only local stdio servers)' : s.wrapped ? '(wrapped by codex-thread-shim: it gets the thread id)' : '(not wrapped: it gets no thread id)'}\n\n` +
    rows([
      ['Config', `${code(s.file)} line ${s.line}`],
      ['Command', cmd ? code(cmd) : undefined],
      ['Real server', s.inner ? code([s.inner.command, ...s.inner.args].join(' ')) : undefined],
      ['Working directory', s.cwd ? code(s.cwd) : undefined],
      ['Enabled', s.enabled ? 'yes' : 'no (`enabled = false`)'],
    ])
  );
}

function escapeMd(s: string): string {
  return s.replace(/([\\`*_{}[\]()#+\-.!|<>])/g, '\\$1');
}
