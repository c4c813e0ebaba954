import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { type Browser, screenshot } from '../support/browser';
import { openReadyPage, uploadAndWait, useBrowserFixture } from '../support/browser-fixture';
import { runTim } from '../support/cli';
import { paint } from '../support/tiny-run';

jest.setTimeout(600_000);

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream', '.wasm': 'application/wasm' };

const tim = (...args: string[]) => runTim([...args, '--quiet']);

/** A plain static file server: the exported folder needs nothing more. */
function serveStatic(root: string): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.join(root, name);
    if (!file.startsWith(root) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` })));
}

interface PageResult {
  top: Array<{ label: string; probability: number }>;
  probabilities: number[];
}

async function classifyIn(browser: Browser, url: string, image: string): Promise<PageResult> {
  const { page } = browser;
  await openReadyPage(page, url);
  await uploadAndWait(page, image);
  const top = await page.locator('#top3 li').evaluateAll((lis) => lis.map((li) => ({ label: (li as HTMLElement).dataset.label ?? '', probability: Number((li as HTMLElement).dataset.probability) })));
  const probabilities = JSON.parse((await page.locator('#probabilities').textContent()) ?? '[]') as number[];
  return { top, probabilities };
}

describe('exported web page', () => {
  const fixture = useBrowserFixture();

  it('classifies and explains a picture from a static server, as tim predict does', async () => {
    const runDir = await fixture.trainTinyRun('tiny_web');
    expect((await tim('evaluate', '--run', runDir, '--bootstrap', '200')).code).toBe(0);

    const out = path.join(fixture.dir, 'web');
    const exported = await tim('export', '--run', runDir, '--format', 'web', '--out', out);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    for (const f of ['index.html', 'app.js', 'model.json', 'metadata.json', 'labels.json', 'preprocessing.json', 'tfjs-backend-wasm-simd.wasm']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    const meta = JSON.parse(fs.readFileSync(path.join(out, 'metadata.json'), 'utf8')) as { labels: string[]; imageSize: number; tim: { heldOut: { float: { accuracy: number; lo: number; hi: number } } } };
    expect(meta.imageSize).toBe(32);
    expect(meta.tim.heldOut.float.lo).toBeLessThanOrEqual(meta.tim.heldOut.float.accuracy);

    // A picture already at the model's size: the page's probabilities are tim predict's.
    const exact = path.join(fixture.dir, 'upload', 'square.png');
    await paint(exact, 'Blue_Period', 77, 32, 32);
    const predicted = await tim('predict', '--run', runDir, exact, '--json');
    expect(predicted.code).toBe(0);
    const want = (JSON.parse(predicted.stdout) as Array<{ top: Array<{ label: string; confidence: number }> }>)[0]!.top;

    const { server, url } = await serveStatic(out);
    fixture.closeAfter(server);
    const browser = await fixture.openBrowser([url]);
    const got = await classifyIn(browser, url, exact);
    expect(got.top.map((r) => r.label)).toEqual(want.map((r) => r.label));
    got.top.forEach((r, i) => expect(Math.abs(r.probability - (want[i]?.confidence ?? NaN))).toBeLessThan(1e-3));
    expect(await browser.page.locator('#resample-note').isHidden()).toBe(true);
    expect(await browser.page.locator('#accuracy').textContent()).toMatch(/^\d+\.\d% \(95% interval \d+\.\d–\d+\.\d%\), \d+ held-out images$/);

    // The Grad-CAM overlay is drawn: the blended picture is not one flat colour.
    const overlay = await browser.page.$eval('#overlay', (c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
      const colours = new Set<string>();
      for (let i = 0; i < d.length; i += 4) colours.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return { width: canvas.width, height: canvas.height, colours: colours.size };
    });
    expect([overlay.width, overlay.height]).toEqual([32, 32]);
    expect(overlay.colours).toBeGreaterThan(20);
    await screenshot(browser.page, 'web-export.png');

    // The fastest backend the browser starts, and each one asked for by ?backend=: the same
    // probabilities as tim predict on wasm and WebGL (and WebGPU where headless Chromium has it).
    const first = (await browser.page.locator('#backend').textContent()) ?? '';
    expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(first);
    for (const backend of first === 'webgpu' ? ['webgpu', 'webgl', 'wasm'] : ['webgl', 'wasm']) {
      const on = await classifyIn(browser, `${url}?backend=${backend}`, exact);
      expect(await browser.page.locator('#backend').textContent()).toBe(backend);
      expect(on.top.map((r) => r.label)).toEqual(want.map((r) => r.label));
      on.top.forEach((r, i) => expect(Math.abs(r.probability - (want[i]?.confidence ?? NaN))).toBeLessThan(1e-3));
    }

    // Another size: the page resizes it and says its resampling may differ from Tim's.
    const wide = path.join(fixture.dir, 'upload', 'wide.jpg');
    await paint(wide, 'Blue_Period', 78, 120, 60);
    const other = await classifyIn(browser, url, wide);
    expect(other.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(await browser.page.locator('#resample-note').isVisible()).toBe(true);
    const overlaySize = await browser.page.$eval('#overlay', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    expect(overlaySize).toEqual([32, 16]);
    fixture.expectCleanPage();

    // float16 weights: dequantised by stock tfjs, held-out accuracy reported beside the float one.
    const half = path.join(fixture.dir, 'web16');
    const q = await tim('export', '--run', runDir, '--format', 'web', '--out', half, '--quantize', 'float16');
    expect(q.code).toBe(0);
    const r = JSON.parse(q.stdout) as { heldOut: { float: { accuracy: number }; exported: { accuracy: number } }; weightBytes: number };
    expect(r.heldOut.exported.accuracy).toBeGreaterThanOrEqual(r.heldOut.float.accuracy - 0.005);
    const floatBytes = (JSON.parse(exported.stdout) as { weightBytes: number }).weightBytes;
    expect(r.weightBytes).toBe(floatBytes / 2);
    const served16 = await serveStatic(half);
    fixture.closeAfter(served16.server);
    const browser16 = await fixture.openBrowser([served16.url]);
    const got16 = await classifyIn(browser16, served16.url, exact);
    expect(got16.top[0]?.label).toBe(want[0]?.label);
    expect(Math.abs((got16.top[0]?.probability ?? NaN) - (want[0]?.confidence ?? NaN))).toBeLessThan(1e-2);
    expect(await browser16.page.locator('#accuracy-exported').textContent()).toMatch(/held-out images/);
    fixture.expectCleanPage();
  });
});
