// Installs or refreshes the launcher in <codex home>/bin. Idempotent: a file is written only when
// its content differs, through a temp file and a rename (a Codex starting a server at that moment
// runs the old launcher or the new one, never half of one).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { posixLauncher, windowsLauncher, type LauncherTarget } from './launcherScripts';

export const LAUNCHER_NAME = 'codex-thread-shim';

/** Where the launcher lives for this platform (what wrapped configs name as `command`). */
export function launcherPath(codexHome: string, platform: NodeJS.Platform = process.platform): string {
  return path.join(codexHome, 'bin', platform === 'win32' ? `${LAUNCHER_NAME}.cmd` : LAUNCHER_NAME);
}

export interface LauncherInstallResult {
  /** The launcher for this platform. */
  path: string;
  /** Files whose content changed (empty when all were current). */
  written: string[];
}

/** Writes both launchers (sh and .cmd: a Codex home can be shared with WSL or a VM). */
export async function installLauncher(codexHome: string, target: LauncherTarget, platform: NodeJS.Platform = process.platform): Promise<LauncherInstallResult> {
  const dir = path.join(codexHome, 'bin');
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o755 });
  const written: string[] = [];
  for (const [file, text] of [
    [path.join(dir, LAUNCHER_NAME), posixLauncher(target)],
    [path.join(dir, `${LAUNCHER_NAME}.cmd`), windowsLauncher(target)],
  ] as const) {
    if (await writeIfDifferent(file, text)) {
      written.push(file);
    }
  }
  return { path: launcherPath(codexHome, platform), written };
}

export type LauncherState = 'missing' | 'current' | 'outdated';

/** Whether the launcher exists and is exactly what `target` would write. */
export async function launcherState(codexHome: string, target: LauncherTarget | undefined, platform: NodeJS.Platform = process.platform): Promise<LauncherState> {
  const file = launcherPath(codexHome, platform);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return 'missing';
  }
  if (!target) {
    return 'current';
  }
  const expected = platform === 'win32' ? windowsLauncher(target) : posixLauncher(target);
  return text === expected ? 'current' : 'outdated';
}

async function writeIfDifferent(file: string, text: string): Promise<boolean> {
  try {
    const st = await fs.promises.lstat(file);
    if (st.isFile() && (st.mode & 0o777) === 0o755 && (await fs.promises.readFile(file, 'utf8')) === text) {
      return false;
    }
  } catch {
    // Missing: write it.
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.promises.writeFile(tmp, text, { mode: 0o755, flag: 'wx' });
    await fs.promises.chmod(tmp, 0o755);
    // rename replaces a symlink at `file` itself, never the file it points to.
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  return true;
}
