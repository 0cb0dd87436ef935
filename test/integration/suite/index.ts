// Entry of the integration suite, loaded inside the real VS Code extension host by either runner:
// the code-server harness (runCodeServer.ts) or @vscode/test-electron (runElectron.ts). Both call
// `run()` and treat a rejection as failure. It runs every `*.test.js` in this folder with mocha.

import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** Same as runCodeServer.ts's SUITE_GREP_ENV and SUITE_START_MARKER (not imported: it pulls in playwright). */
const GREP_ENV = 'CODEX_TC_SUITE_GREP';
const START_MARKER = '[codex-tc-suite-start]';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: 60_000 });
  const grep = process.env[GREP_ENV];
  if (grep) {
    mocha.grep(grep);
  }
  for (const file of fs.readdirSync(__dirname).sort()) {
    if (file.endsWith('.test.js')) {
      mocha.addFile(path.join(__dirname, file));
    }
  }
  return new Promise((resolve, reject) => {
    console.log(START_MARKER);
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats;
        if ((stats?.tests ?? 0) === 0) {
          console.log('the integration suite ran no test');
        }
        // One plain closing line CI tools understand, whatever the reporter printed.
        console.log(`integration: ${stats?.passes ?? 0} passed, ${failures} failed${stats?.pending ? `, ${stats.pending} skipped` : ''}`);
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
