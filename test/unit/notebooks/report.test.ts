import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { setLogLevel } from '../../../src/core/log';
import { compareRunDirs } from '../../../src/evaluate/paired';
import { runSweep } from '../../../src/experiments/sweep';
import { parseSweepSpec } from '../../../src/experiments/sweep-spec';
import { datasetOverview } from '../../../notebooks-ts/lib/dataset-overview';
import { buildSweepReport } from '../../../notebooks-ts/experiments';
import { buildTrainingReport } from '../../../notebooks-ts/training-results';
import { tmpDir } from '../../support/tmp';
import { FAKE_CLASSES, chartData, fakeConfig, writeFakeEvaluation, writeFakeRun, writeFakeTraining } from '../../support/fake-runs';

beforeAll(() => setLogLevel('quiet'));
afterAll(() => setLogLevel('info'));

/** Every script and stylesheet is inline: nothing is fetched from anywhere. */
function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/<script[^>]+src=/i);
  expect(html).not.toMatch(/<link[^>]+href=/i);
  expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
  expect(html).toContain('tfvis');
}

describe('training report', () => {
  it('puts every run, its curves, confusion matrix, per-class metrics and intervals into one page', async () => {
    const t = tmpDir();
    try {
      const a = writeFakeRun(path.join(t.dir, 'runs', 'letterbox'), fakeConfig({ data: { root: path.join(t.dir, 'nowhere') } }), { epochs: 6 });
      const b = writeFakeRun(path.join(t.dir, 'runs', 'stretch'), fakeConfig({ data: { root: path.join(t.dir, 'nowhere'), resize: 'stretch' } }), { epochs: 4 });
      const out = await buildTrainingReport({ runs: [a, b], out: path.join(t.dir, 'reports', 'r.html') });
      expect(out).toBe(path.join(t.dir, 'reports', 'r.html'));
      const html = fs.readFileSync(out, 'utf8');
      expectSelfContained(html);
      const data = chartData(html);
      expect(data.runs.map((r) => r.name)).toEqual(['letterbox', 'stretch']);
      expect(data.runs.map((r) => r.history.length)).toEqual([6, 4]);
      expect(data.runs[0]!.confusion!.labels).toEqual(FAKE_CLASSES);
      const metrics = JSON.parse(fs.readFileSync(path.join(a, 'metrics.json'), 'utf8')) as { accuracy: number; balanced_accuracy: number; bootstrap: { metrics: { accuracy: { lo: number; hi: number } } } };
      expect(data.intervals.accuracy![0]).toEqual({ name: 'letterbox', value: metrics.accuracy, lo: metrics.bootstrap.metrics.accuracy.lo, hi: metrics.bootstrap.metrics.accuracy.hi });
      expect(html).toContain(`${metrics.accuracy.toFixed(3)}<div class="ci">[${metrics.bootstrap.metrics.accuracy.lo.toFixed(3)}, ${metrics.bootstrap.metrics.accuracy.hi.toFixed(3)}]</div>`);
      // Balanced accuracy beside accuracy in the comparison table.
      expect(html).toMatch(/<th class="num">Accuracy<\/th><th class="num">Balanced accuracy<\/th>/);
      expect(html).toContain(`<td class="num">${metrics.balanced_accuracy.toFixed(3)}</td>`);
      for (const kind of ['loss', 'acc', 'confusion', 'intervals', 'overlay-val_acc', 'class-counts']) expect(html).toContain(`data-chart="${kind}"`);
      expect(html).toContain('Vincent van Gogh');
      // The data root is absent: counts from split.json, and a note instead of aspect ratios.
      expect(data.datasets).toHaveLength(1);
      expect(data.datasets[0]!.aspectRatios).toEqual([]);
      expect(html).toMatch(/is not here/);
      // The two runs scored the same held-out images: one paired comparison, as evaluate --runs gives it.
      const pair = compareRunDirs([{ label: 'letterbox', dir: a }, { label: 'stretch', dir: b }]).pairs[0]!;
      expect(pair.paired).toBe(true);
      expect(html).toContain(`<section class="card" id="pairs">`);
      expect(html).toContain(`<li>${pair.sentence}</li>`);
    } finally {
      t.cleanup();
    }
  });

  it('shows what an unfinished run has and rejects folders that are not runs', async () => {
    const t = tmpDir();
    try {
      const dir = path.join(t.dir, 'half');
      writeFakeTraining(dir, fakeConfig(), { epochs: 2 });
      const out = await buildTrainingReport({ runs: [dir], out: path.join(t.dir, 'r.html') });
      const html = fs.readFileSync(out, 'utf8');
      expect(html).toMatch(/not evaluated yet/);
      expect(chartData(html).runs[0]!.history).toHaveLength(2);
      fs.mkdirSync(path.join(t.dir, 'empty'));
      await expect(buildTrainingReport({ runs: [path.join(t.dir, 'empty')], out: path.join(t.dir, 'x.html') })).rejects.toThrow(/not a Tim run folder/);
      await expect(buildTrainingReport({ runs: [path.join(t.dir, 'missing')], out: path.join(t.dir, 'x.html') })).rejects.toThrow(/does not exist/);
    } finally {
      t.cleanup();
    }
  });
});

describe('data-set overview', () => {
  it('reads formats and aspect ratios from the images when the folder is there', async () => {
    const t = tmpDir();
    try {
      const sizes: Record<string, [number, number, 'png' | 'jpeg']> = { 'A/a1.png': [40, 20, 'png'], 'A/a2.jpg': [30, 30, 'jpeg'], 'B/b1.jpg': [20, 40, 'jpeg'] };
      for (const [rel, [w, h, fmt]] of Object.entries(sizes)) {
        fs.mkdirSync(path.join(t.dir, path.dirname(rel)), { recursive: true });
        await sharp({ create: { width: w, height: h, channels: 3, background: '#808080' } }).toFormat(fmt).toFile(path.join(t.dir, rel));
      }
      const split = { root: t.dir, seed: 1, val_fraction: 0.3, classes: ['A', 'B'], train: [{ path: 'A/a1.png', label: 0 }, { path: 'B/b1.jpg', label: 1 }], val: [{ path: 'A/a2.jpg', label: 0 }] };
      const ov = await datasetOverview(split);
      expect(ov.rootFound).toBe(true);
      expect(ov.classes).toEqual([{ name: 'A', train: 1, val: 1 }, { name: 'B', train: 1, val: 0 }]);
      expect([...ov.aspectRatios].sort()).toEqual([0.5, 1, 2]);
      expect(ov.formats).toEqual([{ format: 'jpeg', count: 2 }, { format: 'png', count: 1 }]);
      expect(ov.medianSize).toEqual({ width: 30, height: 30 });
      const gone = await datasetOverview({ ...split, root: path.join(t.dir, 'gone') });
      expect(gone.rootFound).toBe(false);
      expect(gone.aspectRatios).toEqual([]);
      expect(gone.formats).toEqual([{ format: 'jpeg', count: 2 }, { format: 'png', count: 1 }]);
    } finally {
      t.cleanup();
    }
  });
});

describe('experiments report', () => {
  it('lists a sweep with its grid values, effects and each run', async () => {
    const t = tmpDir();
    try {
      const spec = parseSweepSpec({ base: 'quickstart.yaml', grid: { 'data.resize': ['letterbox', 'stretch'], 'train.batch_size': [8, 16] } }, path.join(t.dir, 'mini.yaml'));
      const out = path.join(t.dir, 'sweep');
      await runSweep(spec, {
        out,
        shard: { index: 0, count: 2 },
        steps: { train: async (config, o) => writeFakeTraining(o.out, config), evaluate: async (d) => writeFakeEvaluation(d) },
      });
      const file = await buildSweepReport({ sweep: out, out: path.join(t.dir, 'exp.html') });
      const html = fs.readFileSync(file, 'utf8');
      expectSelfContained(html);
      expect(html).toContain('Experiments: mini');
      expect(html).toContain('2 of 4 runs finished');
      expect(html).toContain('<code>data.resize</code> ∈ {letterbox, stretch}');
      expect(html).toMatch(/Effect of each setting/);
      expect(chartData(html).runs.map((r) => r.name)).toEqual(['resize-letterbox_batch_size-16', 'resize-letterbox_batch_size-8']);
    } finally {
      t.cleanup();
    }
  });
});
