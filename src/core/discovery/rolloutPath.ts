import * as path from 'node:path';
import { isThreadId, uuidV7Time } from '../threadId';

// Codex writes `sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<thread id>.jsonl`, dated in the
// local time of the Codex process. A thread's UUIDv7 holds its creation time, so its rollout is
// in one of three day folders: the UTC date of that time, or the day before or after (time zones
// run from UTC-12 to UTC+14). Looking there finds any thread's rollout without scanning history.

export const SESSIONS_DIR = 'sessions';
const DAY_MS = 86_400_000;
const ROLLOUT_NAME = /^rollout-(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;

export interface RolloutName {
  readonly threadId: string;
  /** The date and time in the name, as written (Codex's local time). */
  readonly stamp: string;
}

/** The thread id of a rollout file name, or undefined when the name is not a rollout's. */
export function parseRolloutFileName(name: string): RolloutName | undefined {
  const m = ROLLOUT_NAME.exec(name);
  if (!m || !isThreadId(m[7])) {
    return undefined;
  }
  return { threadId: m[7], stamp: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` };
}

/** `<home>/sessions/YYYY/MM/DD` for a calendar date. */
export function dayDir(codexHome: string, year: number, month: number, day: number): string {
  return path.join(codexHome, SESSIONS_DIR, String(year).padStart(4, '0'), pad2(month), pad2(day));
}

/** Day folders that can hold the rollout of `threadId`: most likely first. Empty for non-v7 ids. */
export function rolloutDayDirs(codexHome: string, threadId: string): string[] {
  const t = uuidV7Time(threadId);
  if (t === undefined) {
    return [];
  }
  const local = new Date(t);
  const dirs = [dayDir(codexHome, local.getFullYear(), local.getMonth() + 1, local.getDate())];
  for (const offset of [0, -1, 1]) {
    const d = new Date(t + offset * DAY_MS);
    const dir = dayDir(codexHome, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
    if (!dirs.includes(dir)) {
      dirs.push(dir);
    }
  }
  return dirs;
}

/**
 * Day folders that hold the rollouts of threads created between `fromMs` and `toMs`, whatever
 * the time zone of the Codex that wrote them: the UTC dates of the range, widened by a day on
 * each side. Newest first.
 */
export function dayDirsBetween(codexHome: string, fromMs: number, toMs: number): string[] {
  const first = Math.floor(fromMs / DAY_MS) - 1;
  const last = Math.floor(toMs / DAY_MS) + 1;
  const dirs: string[] = [];
  for (let day = last; day >= first; day--) {
    const d = new Date(day * DAY_MS);
    dirs.push(dayDir(codexHome, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()));
  }
  return dirs;
}

/** `<home>/sessions/YYYY`, `.../MM` and `.../DD` of a day folder, outermost first. */
export function dayDirChain(codexHome: string, dir: string): string[] {
  const rel = path.relative(path.join(codexHome, SESSIONS_DIR), dir).split(path.sep);
  const out: string[] = [];
  let cur = path.join(codexHome, SESSIONS_DIR);
  for (const part of rel) {
    cur = path.join(cur, part);
    out.push(cur);
  }
  return out;
}

/** True when `child` is `parent` or inside it (both absolute, already resolved). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
