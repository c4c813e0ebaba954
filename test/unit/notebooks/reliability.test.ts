import * as fs from 'fs';
import * as path from 'path';
import { setLogLevel } from '../../../src/core/log';
import { calibrationSection } from '../../../src/evaluate/confidence';
import { buildTrainingReport } from '../../../notebooks-ts/training-results';
import { calibrationCases } from '../../support/goldens/cases/calibration';
import { tmpDir } from '../../support/tmp';
import { fakeConfig, writeFakeRun } from '../../support/fake-runs';

beforeAll(() => setLogLevel('quiet'));
afterAll(() => setLogLevel('info'));

test('the training report draws the reliability diagram of a run evaluated with calibration, and none without', async () => {
  const t = tmpDir();
  try {
    const calibrated = writeFakeRun(path.join(t.dir, 'runs', 'calibrated'), fakeConfig({ data: { root: path.join(t.dir, 'nowhere') } }), { epochs: 2 });
    const plain = writeFakeRun(path.join(t.dir, 'runs', 'plain'), fakeConfig({ data: { root: path.join(t.dir, 'nowhere') } }), { epochs: 2 });
    const c = calibrationCases().logits[3]!;
    const section = calibrationSection(c.labels, Float32Array.from(c.logits.flat()), c.num_classes, { resamples: 20, seed: 0, keep: 0.95 });
    const file = path.join(calibrated, 'metrics.json');
    fs.writeFileSync(file, JSON.stringify({ ...(JSON.parse(fs.readFileSync(file, 'utf8')) as object), calibration: section }));
    const html = fs.readFileSync(await buildTrainingReport({ runs: [calibrated, plain], out: path.join(t.dir, 'r.html') }), 'utf8');
    const figures = html.match(/<h3>Reliability diagram<\/h3><figure class="reliability"><svg[^]*?<\/svg>/g) ?? [];
    expect(figures).toHaveLength(1);
    expect(figures[0]).toContain(`Before: ECE ${section.before.ece.value.toFixed(3)}`);
    expect(figures[0]).toContain(`After temperature scaling: ECE ${section.after.ece.value.toFixed(3)}`);
    // One bar per non-empty bin of each panel.
    const bars = section.reliability.before.filter((b) => b.count > 0).length + section.reliability.after.filter((b) => b.count > 0).length;
    expect((figures[0]!.match(/<rect [^>]*fill="#4c72b0"/g) ?? []).length).toBe(bars);
  } finally {
    t.cleanup();
  }
});
