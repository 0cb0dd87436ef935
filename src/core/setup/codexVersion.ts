// Which Codex is installed, and whether the shim can find a new server's thread at start with it.
// Measured (docs: /work/shared/codex-facts.md, tests: test/e2e): Codex 0.169 holds the thread's
// `thread-writer-locks/<id>.lock` open before it forks the thread's servers, so the shim resolves
// the thread at start; 0.125 writes no lock files and opens the rollout only after `initialize`,
// so a server starts without an id and the shim corrects it at the first `tools/call`. Versions in
// between were not measured.

import { execFile } from 'node:child_process';

export type StartTimeResolution = 'supported' | 'first-call-only' | 'unknown';

const MEASURED_WITH_LOCKS = [0, 169, 0];
const MEASURED_WITHOUT_LOCKS = [0, 125, 0];

export function parseCodexVersion(output: string): string | undefined {
  return /(\d+\.\d+\.\d+(?:-[\w.]+)?)/.exec(output)?.[1];
}

export function startTimeResolutionFor(version: string | undefined): StartTimeResolution {
  const parts = version?.split(/[.-]/).slice(0, 3).map(Number);
  if (!parts || parts.length < 3 || parts.some((n) => !Number.isFinite(n))) {
    return 'unknown';
  }
  if (compare(parts, MEASURED_WITH_LOCKS) >= 0) {
    return 'supported';
  }
  if (compare(parts, MEASURED_WITHOUT_LOCKS) <= 0) {
    return 'first-call-only';
  }
  return 'unknown';
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

export interface CodexInstall {
  /** The command that was run (`codex`, or a path). */
  command: string;
  version?: string;
  /** Why no version could be read. */
  error?: string;
}

/** Runs `<command> --version` (bounded to 10 s). */
export function detectCodex(command = 'codex', env: NodeJS.ProcessEnv = process.env): Promise<CodexInstall> {
  return new Promise((resolve) => {
    execFile(command, ['--version'], { env, timeout: 10_000, windowsHide: true, shell: process.platform === 'win32' }, (err, stdout) => {
      const version = parseCodexVersion(String(stdout));
      if (version) {
        resolve({ command, version });
      } else {
        resolve({ command, error: err ? (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${command} not found on PATH` : err.message : 'no version in its output' });
      }
    });
  });
}
