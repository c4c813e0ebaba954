import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (CI installs it); override with TIM_CHROMIUM. */
export const CHROMIUM = process.env.TIM_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go (git-ignored): look at them after a run. */
export const SCREENSHOTS = path.resolve(__dirname, '../../reports/screenshots');

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Requests the page made to anything but the allowed origins. */
  foreignRequests: string[];
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile, no background networking, and every request
 * outside `allowedOrigins` (plus file: and data: URLs) refused and recorded, so a test shows
 * a page works offline.
 */
export async function openBrowser(allowedOrigins: string[] = []): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tim-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const foreignRequests: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:') || allowedOrigins.some((o) => url.startsWith(o))) {
      await route.continue();
    } else {
      foreignRequests.push(url);
      await route.abort();
    }
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    foreignRequests,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
