// Runs the integration suite (out/test/integration/suite/index.js) inside the real VS Code
// extension host of code-server, driven by headless Chromium, offline:
//   install (cached) → private temp world → code-server with the smoke-test driver → the browser
//   opens the workbench with extensionDevelopmentPath/extensionTestsPath in the `payload` → the
//   workbench runs the suite and reports back through window.codeAutomationLog/-Exit.
// Prints the suite's output, exits with its code, and always stops code-server (whole process
// tree) and Chromium, even on a timeout or Ctrl-C.
//
//   npm run test:integration                       (builds and compiles first)
//   node out/test/integration/runCodeServer.js [--timeout-ms N] [--grep TEXT] [--keep]
//   CODEX_TEST_KEEP_HOME=1 keeps the temp root for a look after a failure;
//   CODEX_TC_HARNESS_VERBOSE=1 also prints the workbench's own start-up log.

import * as path from 'node:path';
import * as util from 'node:util';
import { launchBrowser, type WorkbenchBrowser } from './codeServer/browser';
import { tail } from '../support/wait';
import { ensureCodeServer } from './codeServer/install';
import { progress } from './codeServer/log';
import { repoRoot } from './codeServer/paths';
import { HarnessProfile } from './codeServer/profile';
import { CodeServer } from './codeServer/server';
import { killStrayProcesses } from './codeServer/strays';
import { BROWSER_PACKAGES, ensureSystemPackages } from './codeServer/systemPackages';

/** Read by suite/index.ts: only tests whose full title contains this run. */
export const SUITE_GREP_ENV = 'CODEX_TC_SUITE_GREP';
/** suite/index.ts puts this before every line it logs when CODEX_TC_SUITE_LINE_PREFIX is set. */
export const SUITE_LINE_PREFIX_ENV = 'CODEX_TC_SUITE_LINE_PREFIX';
const SUITE_LINE_PREFIX = '[codex-tc-suite] ';

interface RunOptions {
  timeoutMs: number;
  grep?: string;
}

/** One run of an entry in the real extension host (what `main` does; the benchmark runs its own entry). */
export interface SuiteRunOptions extends RunOptions {
  /** The entry's compiled path (exports `run()`). Default: the integration suite. */
  testsPath?: string;
  /** More variables for code-server and so the extension host. */
  env?: Record<string, string>;
  /** Called with the fresh temp world before code-server starts (e.g. to write data the extension sees at activation). */
  prepare?: (profile: HarnessProfile) => Promise<void>;
}

function parseArgs(argv: string[]): RunOptions {
  const options: RunOptions = { timeoutMs: 10 * 60_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--timeout-ms') {
      options.timeoutMs = Number(argv[++i]);
    } else if (arg === '--grep') {
      options.grep = argv[++i];
    } else if (arg === '--keep') {
      process.env.CODEX_TEST_KEEP_HOME = '1';
    } else {
      throw new Error(`unknown option ${arg} (known: --timeout-ms N, --grep TEXT, --keep)`);
    }
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new Error('--timeout-ms needs a positive number');
  }
  return options;
}

/** The workbench URL that makes it run the suite (see shared notes: payload + smoke-test driver). */
export function suiteUrl(server: CodeServer, workspace: string, extensionPath: string, testsPath: string): string {
  const remote = (p: string) => `vscode-remote://${server.authority}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(testsPath)],
    ['skipWelcome', 'true'],
  ];
  return `${server.url}?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  // A closed pipe (`| head`) must not crash the runner before it has stopped code-server.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  return runSuite(options);
}

/** Runs the entry in code-server's extension host and returns its exit code (0: passed). */
export async function runSuite(options: SuiteRunOptions): Promise<number> {
  const started = Date.now();
  const repo = repoRoot();
  const testsPath = options.testsPath ?? path.join(repo, 'out', 'test', 'integration', 'suite', 'index.js');

  await ensureSystemPackages(BROWSER_PACKAGES);
  const install = await ensureCodeServer();

  let profile: HarnessProfile | undefined;
  let server: CodeServer | undefined;
  let browser: WorkbenchBrowser | undefined;
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (profile) {
      const strays = await killStrayProcesses(profile.root);
      if (strays.length > 0) progress(`killed ${strays.length} process(es) of this run left outside code-server: ${strays.join(', ')}`);
      profile.cleanup();
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping code-server and the browser`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    profile = HarnessProfile.create();
    await options.prepare?.(profile);
    server = await CodeServer.start({
      install,
      env: profile.env({ ...options.env, [SUITE_LINE_PREFIX_ENV]: SUITE_LINE_PREFIX, ...(options.grep ? { [SUITE_GREP_ENV]: options.grep } : {}) }),
      userDataDir: profile.userDataDir,
      extensionsDir: profile.extensionsDir,
      extraArgs: ['--vscode-option', 'enable-smoke-test-driver'],
    });
    browser = await launchBrowser();
    const page = browser.browser.pages()[0] ?? (await browser.browser.newPage());

    let settle: (code: number) => void = () => undefined;
    const suiteExit = new Promise<number>((resolve) => (settle = resolve));
    const printer = workbenchLogPrinter();
    await page.exposeFunction('codeAutomationExit', (code: number) => settle(Number(code)));
    await page.exposeFunction('codeAutomationLog', printer.print);
    page.on('pageerror', (err) => progress(`page error: ${err.message}`));

    const timeout = setTimeout(() => {
      progress(`the suite did not finish within ${options.timeoutMs} ms\n${server?.log() ?? ''}`);
      settle(124);
    }, options.timeoutMs);
    const serverGone = setInterval(() => {
      if (server?.hasExited) {
        progress(`code-server exited during the suite\n${server.log()}`);
        settle(1);
      }
    }, 500);

    progress(`opening the workbench for ${path.relative(repo, testsPath)}`);
    await page.goto(suiteUrl(server, profile.workspace, repo, testsPath));
    const code = await suiteExit;
    clearTimeout(timeout);
    clearInterval(serverGone);
    if (code !== 0 && printer.unmarkedErrors()) {
      progress(`errors the workbench logged (CODEX_TC_HARNESS_VERBOSE=1 shows its whole log):\n${printer.unmarkedErrors()}`);
    }
    progress(`suite exited with code ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

/**
 * The workbench mirrors its console here (the extension host's included) as console arguments,
 * a format string first, without saying which process a line came from. The suite marks its
 * reporter's lines (SUITE_LINE_PREFIX, see suite/index.ts): those are printed. The workbench's own
 * log is printed with CODEX_TC_HARNESS_VERBOSE=1; its errors are kept and shown when the run
 * fails (that is how a suite that cannot even load shows up).
 */
function workbenchLogPrinter(): { print: (type: string, args: unknown) => void; unmarkedErrors: () => string } {
  const verbose = process.env.CODEX_TC_HARNESS_VERBOSE === '1';
  let errors = '';
  const print = (type: string, args: unknown): void => {
    const list = Array.isArray(args) ? args : [args];
    const text = util.format(...list.map((a) => (typeof a === 'string' || typeof a === 'number' ? a : JSON.stringify(a))));
    if (text.startsWith(SUITE_LINE_PREFIX)) {
      process.stdout.write(`${text.slice(SUITE_LINE_PREFIX.length)}\n`);
    } else if (verbose) {
      process.stderr.write(`[workbench ${type}] ${text}\n`);
    } else if (type === 'error') {
      errors = tail(`${errors}${text}\n`, 20_000);
    }
  };
  return { print, unmarkedErrors: () => errors };
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      progress(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}
