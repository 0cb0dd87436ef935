// `npm run screenshot`: the demo (real Codex threads, the packaged extension in code-server),
// opened in headless Chromium; clicks the Codex Threads activity-bar entry, waits for the tree
// rows with the demo server's bindings, and saves the sidebar as media/screenshots/sidebar.png.
//
//   node out/test/demo/screenshot.js [--out FILE] [--workbench FILE]
//     --workbench FILE   also save the whole workbench (always saved, to a temp file if not given,
//                        when the Codex Threads entry is missing)

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { widenSidebar } from '../integration/codeServer/browser';
import { waitFor } from '../support/wait';
import { launchBrowser, type WorkbenchBrowser } from '../integration/codeServer/browser';
import { progress } from '../integration/codeServer/log';
import { repoRoot } from '../integration/codeServer/paths';
import { BROWSER_PACKAGES, ensureSystemPackages } from '../integration/codeServer/systemPackages';
import { startDemoEnvironment, waitForExtensionActivation, type DemoEnvironment } from './demoEnvironment';

/** The view container's id (package.json `viewsContainers.activitybar[].id`) and title start. */
const CONTAINER_ID = 'codexThreadContext';
const CONTAINER_TITLE = /^Codex Thread/i;

function parseArgs(argv: string[]): { out: string; workbench?: string } {
  const options: { out: string; workbench?: string } = { out: path.join(repoRoot(), 'media', 'screenshots', 'sidebar.png') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) {
      options.out = path.resolve(argv[++i]);
    } else if (argv[i] === '--workbench' && argv[i + 1]) {
      options.workbench = path.resolve(argv[++i]);
    } else {
      throw new Error(`unknown option ${argv[i]} (known: --out FILE, --workbench FILE)`);
    }
  }
  return options;
}

/** The activity-bar entry of the container: by title (aria-label), else by an id in the DOM. */
async function findContainerEntry(page: Page): Promise<Locator | undefined> {
  const bar = page.locator('.part.activitybar');
  const candidates = [
    bar.getByRole('tab', { name: CONTAINER_TITLE }),
    bar.locator('[aria-label^="Codex Thread"]'),
    bar.locator(`[id*="${CONTAINER_ID}"], [data-id*="${CONTAINER_ID}"]`),
  ];
  for (const candidate of candidates) {
    if ((await candidate.count()) > 0) {
      return candidate.first();
    }
  }
  return undefined;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  await ensureSystemPackages(BROWSER_PACKAGES);
  let demo: DemoEnvironment | undefined;
  let browser: WorkbenchBrowser | undefined;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    demo = await startDemoEnvironment({ turnIntervalMs: 2000, signal: abort.signal });
    // A few calls on the live threads first, so their counts are past 1.
    const current = demo;
    await waitFor(() => current.liveCalls() >= 6, { timeoutMs: 120_000, intervalMs: 200, description: 'six tool calls on the live threads' });

    browser = await launchBrowser({ width: 1280, height: 800 });
    const page = browser.browser.pages()[0] ?? (await browser.browser.newPage());
    await page.goto(demo.url);
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
    progress(`the packaged extension activated: ${(await waitForExtensionActivation(demo.userDataDir)).trim()}`);
    // The extension activates and contributes its container shortly after the workbench shows.
    const entry = await waitFor(() => findContainerEntry(page), { timeoutMs: 30_000, intervalMs: 250, description: 'the Codex Threads activity-bar entry' }).catch(
      () => undefined,
    );
    if (!entry) {
      const file = options.workbench ?? path.join(os.tmpdir(), 'codex-tc-workbench.png');
      await page.screenshot({ path: file });
      progress(`no "Codex Threads" entry in the activity bar (are the views on this branch?); the whole workbench is in ${file}`);
      return 1;
    }
    await entry.click();
    const sidebar = page.locator('.part.sidebar');
    // Wait for the tree to show the demo server's bindings (rows with its name), not a fixed time.
    await sidebar.locator('.monaco-list-row', { hasText: 'demo' }).first().waitFor({ timeout: 30_000 });
    await widenSidebar(page, 520);
    // Expand what is collapsed (the ended group, a server's threads) so the picture shows it all.
    for (let i = 0; i < 5; i++) {
      const collapsed = sidebar.locator('.monaco-list-row[aria-expanded="false"]');
      if ((await collapsed.count()) === 0) break;
      const row = collapsed.first();
      const label = await row.getAttribute('aria-label');
      await row.click();
      await sidebar.locator(`.monaco-list-row[aria-expanded="true"][aria-label="${(label ?? '').replace(/"/g, '\\"')}"]`).first().waitFor({ timeout: 5000 });
    }
    await page.keyboard.press('Escape'); // clears the tree's selection highlight
    // No hover, tooltip or focus outline in the picture.
    await page.mouse.move(900, 700);
    await page.locator('.part.editor').click({ position: { x: 400, y: 300 } });
    await page.locator('.workbench-hover-container, .monaco-hover:not(.hidden)').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    fs.mkdirSync(path.dirname(options.out), { recursive: true });
    await sidebar.screenshot({ path: options.out });
    progress(`sidebar saved to ${options.out}`);
    if (options.workbench) {
      await page.screenshot({ path: options.workbench });
      progress(`workbench saved to ${options.workbench}`);
    }
    return 0;
  } finally {
    await browser?.close();
    await demo?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    progress(`screenshot failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
