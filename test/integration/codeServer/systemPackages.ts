// Debian packages the harness needs (Linux only). Missing ones are installed with apt-get when
// running as root (CI, fresh machines); otherwise the error names the command to run.

import * as fs from 'node:fs';
import { progress, runCommand } from './log';

export interface SystemPackage {
  /** Debian package name. */
  name: string;
  /** Why the harness needs it (goes into the error message). */
  why: string;
  /** True when it is already there. */
  present(): boolean;
}

export function hasExecutable(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      fs.accessSync(`${dir}/${name}`, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Chromium's executable: `$CODEX_TC_CHROMIUM`, else Debian's. */
export function chromiumPath(): string {
  return process.env.CODEX_TC_CHROMIUM || '/usr/bin/chromium';
}

export const CODE_SERVER_BUILD_PACKAGES: SystemPackage[] = [
  { name: 'libkrb5-dev', why: "code-server's kerberos module compiles against gssapi/gssapi.h", present: () => fs.existsSync('/usr/include/gssapi/gssapi.h') },
  { name: 'pkg-config', why: "code-server's native modules look up libraries with it", present: () => hasExecutable('pkg-config') },
];

export const BROWSER_PACKAGES: SystemPackage[] = [
  { name: 'chromium', why: 'the browser that drives the code-server workbench', present: () => fs.existsSync(chromiumPath()) },
];

export async function ensureSystemPackages(packages: SystemPackage[]): Promise<void> {
  const missing = packages.filter((p) => !p.present());
  if (missing.length === 0) {
    return;
  }
  const names = missing.map((p) => p.name).join(' ');
  const reasons = missing.map((p) => `  ${p.name}: ${p.why}`).join('\n');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !hasExecutable('apt-get')) {
    throw new Error(`missing system packages:\n${reasons}\nInstall them (Debian/Ubuntu: sudo apt-get install -y ${names}) and run again.`);
  }
  progress(`installing ${names} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runCommand('apt-get', ['update', '-qq'], { env });
  await runCommand('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((p) => p.name)], { env });
  const still = missing.filter((p) => !p.present());
  if (still.length > 0) {
    throw new Error(`apt-get ran but these are still missing: ${still.map((p) => p.name).join(' ')}`);
  }
}
