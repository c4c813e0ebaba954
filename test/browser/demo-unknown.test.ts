import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { startDemo } from '../../src/demo/server';
import { evaluateRun } from '../../src/evaluate/evaluate-run';
import { predictImages } from '../../src/inference/predict';
import { disposeRun, loadRunForInference } from '../../src/inference/inference-run';
import { openReadyPage, uploadAndWait, useBrowserFixture } from '../support/browser-fixture';

jest.setTimeout(300_000);

/** A grey photograph-like picture (fine random texture, no colour): nothing like the tiny painters' work. */
async function greyPhoto(file: string): Promise<void> {
  const width = 120;
  const height = 90;
  const data = Buffer.alloc(width * height * 3);
  let s = 7;
  for (let i = 0; i < width * height; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const v = 90 + (s % 80);
    data.fill(v, 3 * i, 3 * i + 3);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toFile(file);
}

describe('unknown-artist verdict in the demo', () => {
  const fixture = useBrowserFixture();

  it('a photo that is not a painting is "not confidently one of the 3 artists" in predict and in the demo', async () => {
    const runDir = await fixture.trainTinyRun('tiny_unknown');
    // evaluate fits the temperature and threshold on the held-out paintings and saves them.
    await evaluateRun(runDir, { bootstrap: 20, progress: false });
    expect(fs.existsSync(path.join(runDir, 'calibration.json'))).toBe(true);
    const photo = path.join(fixture.dir, 'upload', 'grey-photo.jpg');
    await greyPhoto(photo);

    const run = await loadRunForInference(runDir);
    const [p] = await predictImages(run, [photo]);
    disposeRun(run);
    expect(p!.unknown.decision).toBe('not_confident');

    const started = await startDemo({ runs: path.dirname(runDir), port: 0 });
    fixture.closeAfter(started.server);
    const { page } = await fixture.openBrowser([started.url]);
    await openReadyPage(page, started.url);
    await uploadAndWait(page, photo);
    expect(await page.locator('#verdict').isVisible()).toBe(true);
    const closest = p!.label.replace(/_/g, ' ');
    expect(await page.locator('#verdict').textContent()).toBe(`Not confidently one of the 3 artists (closest: ${closest}, ${(p!.confidence * 100).toFixed(1)}%)`);
    fixture.expectCleanPage();
  });
});
