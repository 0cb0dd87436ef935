// Progress of the harness goes to stderr (stdout carries the suite's own output).

import { spawn, type SpawnOptions } from 'node:child_process';

export function progress(message: string): void {
  process.stderr.write(`[vscode-harness] ${message}\n`);
}

/**
 * Runs a command to the end with its output passed through to stderr (so a long install shows
 * what it does); rejects with the command line and exit status when it fails.
 */
export function runCommand(command: string, args: string[], options: SpawnOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve();
      } else {
        reject(new Error(`${command} ${args.join(' ')} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
      }
    });
  });
}
