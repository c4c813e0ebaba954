import type * as http from 'http';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { setLogLevel } from '../../src/core/log';
import { type Browser, openBrowser } from './browser';
import { tmpDir } from './tmp';
import { makeTinyRun, paintDataset } from './tiny-run';

/** What the browser tests of a trained tiny run share; made by useBrowserFixture. */
export interface BrowserFixture {
  /** The suite's temporary folder. */
  readonly dir: string;
  /** The tiny paintings (painted by trainTinyRun). */
  readonly data: string;
  /** Paints the tiny data set (6 paintings per class) and trains tiny_cnn on it into dir/runs/NAME; returns that folder. */
  trainTinyRun(name: string): Promise<string>;
  /** A fresh browser (any open one is closed first) allowed to reach `origins`; its page errors are collected. */
  openBrowser(origins: string[]): Promise<Browser>;
  /** Closes `server` after the suite. */
  closeAfter(server: http.Server): void;
  /** The page raised no error and asked for nothing outside its origins. */
  expectCleanPage(): void;
}

/**
 * Sets up, around the describe block it is called in, what the browser tests of a trained run
 * share: quiet logs, a temporary folder, the browser and the servers, all closed and removed
 * after the block.
 */
export function useBrowserFixture(): BrowserFixture {
  let folder: ReturnType<typeof tmpDir> | undefined;
  let browser: Browser | undefined;
  const servers: http.Server[] = [];
  const pageErrors: string[] = [];
  const dir = (): string => {
    if (!folder) throw new Error('the browser fixture is used outside its describe block');
    return folder.dir;
  };
  const data = (): string => path.join(dir(), 'paintings');

  beforeAll(() => {
    setLogLevel('quiet');
    folder = tmpDir();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => new Promise((closed) => s.close(closed))));
    folder?.cleanup();
    setLogLevel('info');
  });

  return {
    get dir() {
      return dir();
    },
    get data() {
      return data();
    },
    async trainTinyRun(name) {
      await paintDataset(data(), 6);
      const run = path.join(dir(), 'runs', name);
      await makeTinyRun(run, data());
      return run;
    },
    async openBrowser(origins) {
      await browser?.close();
      browser = await openBrowser(origins);
      browser.page.on('pageerror', (e) => pageErrors.push(e.message));
      return browser;
    },
    closeAfter(server) {
      servers.push(server);
    },
    expectCleanPage() {
      expect(pageErrors).toEqual([]);
      expect(browser?.foreignRequests).toEqual([]);
    },
  };
}

/** Opens `url` and waits until the page has loaded its model. */
export async function openReadyPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 120_000 });
  expect(await page.getAttribute('body', 'data-state')).toBe('ready');
}

/** Chooses `file` in the page's file input and waits until the page has answered it, without a message. */
export async function uploadAndWait(page: Page, file: string): Promise<void> {
  await page.setInputFiles('#file', file);
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 120_000 });
  expect(await page.locator('#status').textContent()).toBe('');
  expect(await page.getAttribute('body', 'data-state')).toBe('done');
}
