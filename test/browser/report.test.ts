import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { buildSweepReport } from '../../notebooks-ts/experiments';
import { buildTrainingReport } from '../../notebooks-ts/training-results';
import { setLogLevel } from '../../src/core/log';
import { runSweep } from '../../src/experiments/sweep';
import { loadSweepSpec } from '../../src/experiments/sweep-spec';
import { tmpDir } from '../support/tmp';
import { fakeConfig, writeFakeEvaluation, writeFakeRun, writeFakeTraining } from '../support/fake-runs';
import { openBrowser, screenshot, type Browser } from '../support/browser';
import { paintDataset, TINY_CLASSES } from '../support/tiny-run';

jest.setTimeout(120_000);

/** Opens a report from the file system and waits until its page script has drawn the charts. */
async function openReport(browser: Browser, file: string): Promise<{ page: Browser['page']; errors: string[] }> {
  const { page } = browser;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector('body[data-charts="ready"]', { timeout: 60_000 });
  return { page, errors };
}

describe('training report in a browser', () => {
  let t: { dir: string; cleanup: () => void };
  let browser: Browser | undefined;

  beforeAll(() => {
    t = tmpDir();
  });
  afterAll(async () => {
    await browser?.close();
    t.cleanup();
  });

  it('opens from the file system with no network and draws every chart', async () => {
    const data = path.join(t.dir, 'paintings');
    await paintDataset(data, 8);
    const items = TINY_CLASSES.flatMap((cls, label) => fs.readdirSync(path.join(data, cls)).sort().map((f) => ({ path: `${cls}/${f}`, label })));
    const runs = [
      { name: 'tiny_letterbox', resize: 'letterbox', epochs: 9 },
      { name: 'tiny_stretch', resize: 'stretch', epochs: 6 },
    ].map((r) => {
      const dir = writeFakeRun(path.join(t.dir, 'runs', r.name), fakeConfig({ name: r.name, data: { root: data, resize: r.resize } }), { epochs: r.epochs, classes: TINY_CLASSES });
      fs.writeFileSync(path.join(dir, 'split.json'), JSON.stringify({ root: data, seed: 1, val_fraction: 0.25, classes: TINY_CLASSES, train: items.filter((_, i) => i % 4), val: items.filter((_, i) => !(i % 4)) }));
      // The evaluation again, of this split's held-out images: the report checks they match.
      writeFakeEvaluation(dir);
      return dir;
    });
    const file = await buildTrainingReport({ runs, out: path.join(t.dir, 'report.html') });

    browser = await openBrowser();
    const { page, errors } = await openReport(browser, file);

    const placeholders = await page.locator('[data-chart]').count();
    expect(placeholders).toBeGreaterThanOrEqual(2 + 2 * 2 + 2 + 2);
    expect(await page.getAttribute('body', 'data-charts-failed')).toBe('0');
    expect(Number(await page.getAttribute('body', 'data-charts-drawn'))).toBe(placeholders);
    // Each placeholder holds a drawn canvas or svg of non-zero size.
    const sizes = await page.$$eval('[data-chart]', (els) =>
      els.map((el) => {
        const drawn = Array.from(el.querySelectorAll('canvas, svg')).map((c) => c.getBoundingClientRect());
        return { kind: (el as HTMLElement).dataset.chart, area: Math.max(0, ...drawn.map((r) => r.width * r.height)) };
      }),
    );
    for (const s of sizes) expect(s).toEqual({ kind: s.kind, area: expect.any(Number) as number });
    expect(sizes.filter((s) => s.area < 100 * 60)).toEqual([]);
    expect(new Set(sizes.map((s) => s.kind))).toEqual(new Set(['intervals', 'overlay-val_acc', 'overlay-val_loss', 'class-counts', 'aspect', 'loss', 'acc', 'confusion']));
    expect(await page.locator('table.comparison tbody tr').count()).toBe(2);
    expect(errors).toEqual([]);
    expect(browser.foreignRequests).toEqual([]);
    await screenshot(page, 'report.png');
  });
});

describe('reference experiments report in a browser', () => {
  let t: { dir: string; cleanup: () => void };
  let browser: Browser | undefined;

  beforeAll(() => {
    t = tmpDir();
    setLogLevel('quiet');
  });
  afterAll(async () => {
    setLogLevel('info');
    await browser?.close();
    t.cleanup();
  });

  it("shows the reference's figures beside Tim's, the tested claims, and draws every chart", async () => {
    const out = path.join(t.dir, 'sweep');
    const spec = loadSweepSpec(path.resolve(__dirname, '../../configs/sweeps/reference_experiments.yaml'));
    await runSweep(spec, {
      out,
      steps: { train: async (config, o) => writeFakeTraining(o.out, config, { epochs: 4 }), evaluate: async (dir) => writeFakeEvaluation(dir) },
    });
    const file = await buildSweepReport({ sweep: out, out: path.join(t.dir, 'reference.html'), resamples: 100 });

    browser = await openBrowser();
    const { page, errors } = await openReport(browser, file);
    expect(await page.getAttribute('body', 'data-charts-failed')).toBe('0');
    expect(Number(await page.getAttribute('body', 'data-charts-drawn'))).toBe(await page.locator('[data-chart]').count());

    const table = page.locator('#reference table.reference tbody tr');
    expect(await table.count()).toBe(7);
    const baseline = await page.locator('#reference tr', { hasText: 'resnet50_baseline' }).innerText();
    expect(baseline).toMatch(/79\.4%/);
    expect(baseline).toMatch(/73\.9%\s+epoch 9/);
    const claims = await page.locator('#reference ul.pairs li').allInnerTexts();
    expect(claims).toHaveLength(4);
    for (const c of claims) expect(c).toMatch(/ − .*: [+−]?\d+\.\d points \[.*\], p [=<] .*\(Holm, 4 comparisons\): (not shown to differ|shown to differ)/);
    expect(await page.locator('#pairs ul.pairs li').count()).toBe(21);
    expect(await page.locator('nav a[href="#reference"], a[href="#reference"]').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(browser.foreignRequests).toEqual([]);
    await screenshot(page, 'reference-experiments.png');
  });
});
