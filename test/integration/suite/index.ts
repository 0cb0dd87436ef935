// Entry of the integration suite, loaded inside the real VS Code extension host by either runner:
// the code-server harness (runCodeServer.ts) or @vscode/test-electron (runElectron.ts). Both call
// `run()` and treat a rejection as failure. It runs every `*.test.js` in this folder with mocha.
// (test/integration/bench/index.ts runs the benches, `*.bench.js`, through runMochaFiles.)

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';

// Same names as in runCodeServer.ts (not imported: that module pulls in playwright).
const GREP_ENV = 'CODEX_TC_SUITE_GREP';
const LINE_PREFIX_ENV = 'CODEX_TC_SUITE_LINE_PREFIX';

/**
 * Under code-server the console reaches the runner mixed with the workbench's own log, so the
 * reporter's lines carry a prefix the runner keeps. (The extension host's console methods cannot
 * be replaced, so mocha's reporter output function is: tests' own console.log stays unmarked.)
 */
function reporterLog(Mocha: typeof import('mocha'), prefix: string | undefined): (...args: unknown[]) => void {
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  if (prefix) {
    const original = base.consoleLog;
    base.consoleLog = (...args: unknown[]) => original(prefix + util.format(...args));
  }
  return base.consoleLog;
}

export function run(): Promise<void> {
  return runMochaFiles(__dirname, '.test.js');
}

/** Runs every file in `dir` whose name ends with `suffix` (the bench entry runs `*.bench.js` this way). */
export async function runMochaFiles(dir: string, suffix: string, timeoutMs = 60_000): Promise<void> {
  const { default: Mocha } = await import('mocha');
  const log = reporterLog(Mocha, process.env[LINE_PREFIX_ENV]);
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: timeoutMs });
  const grep = process.env[GREP_ENV];
  if (grep) {
    mocha.grep(grep);
  }
  for (const file of fs.readdirSync(dir).sort()) {
    if (file.endsWith(suffix)) {
      mocha.addFile(path.join(dir, file));
    }
  }
  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats;
        if ((stats?.tests ?? 0) === 0) {
          log('the integration suite ran no test');
        }
        // One plain closing line CI tools understand, whatever the reporter printed.
        log(`integration: ${stats?.passes ?? 0} passed, ${failures} failed${stats?.pending ? `, ${stats.pending} skipped` : ''}`);
        if (failures > 0) {
          reject(new Error(`${failures} integration test(s) failed`));
        } else if ((stats?.tests ?? 0) === 0) {
          reject(new Error('the integration suite ran no test'));
        } else {
          resolve();
        }
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
