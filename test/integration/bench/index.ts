// Entry of the integration benches (`*.bench.js` in this folder), loaded inside the real VS Code
// extension host by test/integration/runTerminalBench.ts. Not part of the integration suite: the
// suite's entry runs only `suite/*.test.js`.
import { runMochaFiles } from '../suite/index';

export function run(): Promise<void> {
  return runMochaFiles(__dirname, '.bench.js', 0);
}
