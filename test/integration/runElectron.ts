// Runs the same integration suite in desktop VS Code through @vscode/test-electron, for machines
// that have a VS Code (or can download one). On the offline build machines use the code-server
// harness instead (runCodeServer.ts): test-electron's download fails there.
//
//   npm run test:integration:electron
//   VSCODE_EXECUTABLE=/path/to/code npm run test:integration:electron    (an installed VS Code)
//   VSCODE_VERSION=1.93.0 ...                                           (which build to download)

import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { repoRoot } from './codeServer/paths';
import { HarnessProfile } from './codeServer/profile';

async function main(): Promise<number> {
  const repo = repoRoot();
  // The same private world as the code-server run: HOME, CODEX_HOME, workspace, user data.
  const profile = HarnessProfile.create();
  try {
    await runTests({
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
      version: process.env.VSCODE_VERSION || undefined,
      extensionDevelopmentPath: repo,
      extensionTestsPath: path.join(repo, 'out', 'test', 'integration', 'suite', 'index.js'),
      extensionTestsEnv: profile.env(),
      launchArgs: [
        profile.workspace,
        '--user-data-dir', profile.userDataDir,
        '--extensions-dir', profile.extensionsDir,
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
      ],
    });
    return 0;
  } catch (err) {
    console.error(`integration suite failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    profile.cleanup();
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
