// Debian's Chromium driven by playwright-core (which downloads no browser of its own), headless,
// with a fresh profile and nothing that reaches out to the network.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumPath } from './systemPackages';

export interface WorkbenchBrowser {
  browser: BrowserContext;
  close(): Promise<void>;
}

/** A persistent context in a temp user-data dir (removed on close). */
export async function launchBrowser(viewport = { width: 1400, height: 900 }): Promise<WorkbenchBrowser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctc-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(),
      headless: true,
      viewport,
      // Chromium keeps crash reports and caches under HOME/XDG: keep them in the temp profile.
      env: { ...process.env, HOME: userDataDir, XDG_CONFIG_HOME: path.join(userDataDir, 'config'), XDG_CACHE_HOME: path.join(userDataDir, 'cache') },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (err) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    browser: context,
    async close() {
      const browser: Browser | null = context.browser();
      await context.close().catch(() => undefined);
      await browser?.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
    },
  };
}

/** Drags the sash between the sidebar and the editor so the sidebar is `width` px wide. */
export async function widenSidebar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
}
