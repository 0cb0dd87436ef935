// Joins what discovery knows about Codex threads with what the context store holds about them
// (the shim's bindings) into what the Threads view shows: per workspace folder, live threads
// first, then the ended ones of the last days; sub-agents under their parents; bindings with a
// state that accounts for processes that died without saying so; orphans and duplicates flagged.
import type { CodexThread } from '../discovery/types';
import type { McpBinding, StartedBy, ThreadContext } from '../store/threadContext';
import { isSameOrInside, normalizeCwd } from '../store/workspaceKey';
import { isProcessAlive, oncePerPid } from '../processAlive';
import { uuidV7Time } from '../threadId';
import { bindingStatus, describeState, type BindingState, type IsAlive } from './bindingState';
import { relativeTime } from './relativeTime';
import { shortIds } from './shortIds';
import { compareCodeUnits } from '../compareCodeUnits';

export interface WorkspaceFolderRef {
  /** Absolute path of the folder. */
  path: string;
  /** What VS Code calls it. */
  name: string;
}

export interface ContextFileEntry {
  file: string;
  context: ThreadContext;
}

export interface ModelInput {
  folders: readonly WorkspaceFolderRef[];
  /** Discovery's list (live and recent threads). */
  threads: readonly CodexThread[];
  /** Context files of (at least) this workspace's threads. */
  contexts: readonly ContextFileEntry[];
  /** Ended threads older than this are left out. */
  sinceDays: number;
  now: number;
  liveOnly?: boolean;
  isAlive?: IsAlive;
  /** Path normaliser (default normalizeCwd: absolute, symlink-free); injected so callers can cache it. */
  normalize?: (p: string) => string;
}

export type BindingFlag = 'orphan' | 'duplicate';

export interface BindingView {
  threadId: string;
  server: string;
  state: BindingState;
  /** "running", "exited (code 1)", ... */
  stateText: string;
  rawStatus: string;
  /** A process of this binding may still run (the shim, or a server that outlived it). */
  processAlive: boolean;
  flag?: BindingFlag;
  /** For a duplicate: the shim pid of the instance that came first. */
  duplicateOfShimPid?: number;
  record: McpBinding;
  contextFile?: string;
}

export type ThreadOrigin = StartedBy | 'sub-agent';

export interface ThreadView {
  id: string;
  shortId: string;
  /** Title, else the short id. */
  label: string;
  title?: string;
  origin: ThreadOrigin;
  /** Raw originator when it is not a known kind. */
  originator?: string;
  /** "terminal · 3 min ago", "sub-agent of fix tests · just now", ... */
  description: string;
  live: boolean;
  startedAt?: number;
  endedAt?: number;
  lastActivityAt?: number;
  cwd: string;
  folder: string;
  cliVersion?: string;
  rolloutPath?: string;
  contextFile?: string;
  parentId?: string;
  forkedFromId?: string;
  bindings: BindingView[];
  children: ThreadView[];
}

export interface FolderView {
  folder: WorkspaceFolderRef;
  live: ThreadView[];
  ended: ThreadView[];
}

export interface WorkspaceModel {
  folders: FolderView[];
  /** Live threads of the workspace, sub-agents included. */
  liveCount: number;
  /** Every thread shown, by id. */
  byId: Map<string, ThreadView>;
  sinceDays: number;
}

const DAY_MS = 86_400_000;

export function buildWorkspaceModel(input: ModelInput): WorkspaceModel {
  const normalize = input.normalize ?? normalizeCwd;
  // One check per pid per build (a shim's pid is in every binding it recorded).
  const isAlive: IsAlive = oncePerPid(input.isAlive ?? isProcessAlive);
  const folders = input.folders.map((f) => ({ ref: f, norm: normalize(f.path) }));
  const folderOf = (cwd: string | undefined): WorkspaceFolderRef | undefined => {
    if (!cwd) {
      return undefined;
    }
    const c = normalize(cwd);
    // Nested folders: the innermost one that contains the cwd.
    let best: { ref: WorkspaceFolderRef; norm: string } | undefined;
    for (const f of folders) {
      if (isSameOrInside(c, f.norm) && (!best || f.norm.length > best.norm.length)) {
        best = f;
      }
    }
    return best?.ref;
  };
  const cutoff = input.now - input.sinceDays * DAY_MS;
  const contexts = new Map<string, ContextFileEntry>();
  for (const c of input.contexts) {
    const prev = contexts.get(c.context.thread.id);
    if (!prev || prev.context.updatedAt < c.context.updatedAt) {
      contexts.set(c.context.thread.id, c);
    }
  }

  const views = new Map<string, ThreadView>();
  const discovered = new Set<string>();
  for (const t of input.threads) {
    discovered.add(t.id);
    const ctx = contexts.get(t.id);
    const cwd = t.cwd ?? ctx?.context.thread.cwd;
    const folder = folderOf(cwd);
    if (!folder || !cwd) {
      continue;
    }
    views.set(t.id, threadView(t.id, folder, cwd, ctx, t, isAlive));
  }
  // Threads only the store knows (ephemeral threads have no files; older ones fell out of
  // discovery's window): shown while a process of theirs runs or they changed recently.
  for (const [id, ctx] of contexts) {
    if (discovered.has(id)) {
      continue;
    }
    const folder = folderOf(ctx.context.thread.cwd);
    if (!folder) {
      continue;
    }
    const v = threadView(id, folder, ctx.context.thread.cwd, ctx, undefined, isAlive);
    const recent = Date.parse(ctx.context.updatedAt) >= cutoff;
    if (v.live || recent || v.bindings.some((b) => b.processAlive)) {
      views.set(id, v);
    }
  }

  const names = shortIds(views.keys());
  for (const v of views.values()) {
    v.shortId = names.get(v.id) ?? v.shortId;
    v.label = v.title ?? v.shortId;
    flagBindings(v);
  }
  for (const v of views.values()) {
    v.description = describeThread(v, views, input.now);
  }

  // Sub-agents under their parents (when the parent is shown), everything else at the top.
  const top: ThreadView[] = [];
  for (const v of views.values()) {
    const parent = v.parentId ? views.get(v.parentId) : undefined;
    if (parent && parent !== v) {
      parent.children.push(v);
    } else {
      top.push(v);
    }
  }
  for (const v of views.values()) {
    v.children.sort(byLiveThenRecent);
  }

  const out: FolderView[] = input.folders.map((folder) => ({ folder, live: [], ended: [] }));
  const byFolder = new Map(out.map((f) => [f.folder, f]));
  for (const v of top.sort(byLiveThenRecent)) {
    const group = byFolder.get(input.folders.find((f) => f.path === v.folder)!)!;
    if (v.live) {
      group.live.push(v);
    } else if (!input.liveOnly && (v.endedAt ?? v.lastActivityAt ?? v.startedAt ?? 0) >= cutoff) {
      group.ended.push(v);
    } else if (!input.liveOnly && v.bindings.some((b) => b.flag === 'orphan')) {
      group.ended.push(v); // an orphan process keeps its thread visible, however old
    }
  }
  let liveCount = 0;
  for (const v of views.values()) {
    if (v.live) {
      liveCount++;
    }
  }
  return { folders: out, liveCount, byId: views, sinceDays: input.sinceDays };
}

function threadView(
  id: string,
  folder: WorkspaceFolderRef,
  cwd: string,
  ctx: ContextFileEntry | undefined,
  t: CodexThread | undefined,
  isAlive: IsAlive,
): ThreadView {
  const info = ctx?.context.thread;
  const bindings: BindingView[] = (ctx?.context.bindings ?? []).map((record) => {
    const s = bindingStatus(record, isAlive);
    return {
      threadId: id,
      server: record.server,
      state: s.state,
      stateText: describeState(record, s),
      rawStatus: s.rawStatus,
      // A server outliving its lost shim still runs; after a recorded exit the pid may be reused.
      processAlive: s.shimAlive || s.serverAlive,
      record,
      contextFile: ctx?.file,
    };
  });
  let live: boolean;
  if (t) {
    live = t.live;
  } else {
    live = info?.status !== 'ended' && bindings.some((b) => b.processAlive && b.state !== 'lost');
  }
  const startedAt = t?.startedAt ?? uuidV7Time(id) ?? (info?.startedAt ? Date.parse(info.startedAt) : undefined);
  const endedAtText = info?.status === 'ended' ? info.endedAt : undefined;
  const lastActivityAt = t?.lastActivityAt ?? (ctx ? Date.parse(ctx.context.updatedAt) : undefined);
  const origin: ThreadOrigin = t?.parentThreadId ? 'sub-agent' : (t?.kind ?? info?.startedBy ?? 'unknown');
  const title = t?.title ?? info?.title;
  return {
    id,
    shortId: id,
    label: id,
    ...(title ? { title } : {}),
    origin,
    ...(t?.originator && t.kind === 'other' ? { originator: t.originator } : {}),
    description: '',
    live,
    startedAt,
    endedAt: live ? undefined : endedAtText ? Date.parse(endedAtText) : lastActivityAt,
    lastActivityAt,
    cwd,
    folder: folder.path,
    cliVersion: t?.cliVersion ?? info?.codexVersion,
    rolloutPath: t?.rolloutPath ?? info?.rolloutPath,
    contextFile: ctx?.file,
    parentId: t?.parentThreadId,
    forkedFromId: t?.forkedFromId,
    bindings: bindings.sort((a, b) => a.server.localeCompare(b.server) || compareCodeUnits(a.record.startedAt, b.record.startedAt)),
    children: [],
  };
}

/** Orphan: a process still runs although its thread was unloaded. Duplicate: a later live instance of a server the thread already has. */
function flagBindings(v: ThreadView): void {
  const firstLive = new Map<string, BindingView>();
  for (const b of v.bindings) {
    if (!b.processAlive) {
      continue;
    }
    if (!v.live || b.state === 'lost') {
      b.flag = 'orphan';
      continue;
    }
    const first = firstLive.get(b.server);
    if (first) {
      b.flag = 'duplicate';
      b.duplicateOfShimPid = first.record.shimPid;
    } else {
      firstLive.set(b.server, b);
    }
  }
}

const ORIGIN_TEXT: Record<Exclude<ThreadOrigin, 'sub-agent'>, string> = {
  terminal: 'terminal',
  exec: 'exec',
  ide: 'IDE',
  other: 'other',
  unknown: '',
};

function describeThread(v: ThreadView, views: Map<string, ThreadView>, now: number): string {
  const parts: string[] = [];
  if (v.origin === 'sub-agent') {
    const parent = v.parentId ? views.get(v.parentId) : undefined;
    parts.push(`sub-agent of ${parent?.label ?? v.parentId?.replace(/-/g, '').slice(-6) ?? '?'}`);
  } else {
    const who = v.originator ?? ORIGIN_TEXT[v.origin];
    if (who) {
      parts.push(who);
    }
  }
  if (v.forkedFromId) {
    const from = views.get(v.forkedFromId);
    parts.push(`fork of ${from?.label ?? v.forkedFromId.replace(/-/g, '').slice(-6)}`);
  }
  if (v.live) {
    if (v.startedAt !== undefined) {
      parts.push(`started ${relativeTime(v.startedAt, now)}`);
    }
  } else if (v.endedAt !== undefined) {
    parts.push(`ended ${relativeTime(v.endedAt, now)}`);
  }
  return parts.join(' · ');
}

function byLiveThenRecent(a: ThreadView, b: ThreadView): number {
  if (a.live !== b.live) {
    return a.live ? -1 : 1;
  }
  const ta = a.live ? (a.startedAt ?? 0) : (a.endedAt ?? a.lastActivityAt ?? a.startedAt ?? 0);
  const tb = b.live ? (b.startedAt ?? 0) : (b.endedAt ?? b.lastActivityAt ?? b.startedAt ?? 0);
  return tb - ta || compareCodeUnits(a.id, b.id);
}
