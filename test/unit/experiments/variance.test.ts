import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import seedrandom from 'seedrandom';
import { setLogLevel } from '../../../src/core/log';
import type { ScoredImages } from '../../../src/evaluate/paired';
import { classificationMetrics } from '../../../src/evaluate/metrics';
import { tInterval } from '../../../src/evaluate/stats';
import { parseCsv } from '../../../src/io/csv';
import { readRunData } from '../../../src/experiments/run-data';
import type { RunSteps } from '../../../src/experiments/steps';
import { runSweep } from '../../../src/experiments/sweep';
import { loadSweepSpec } from '../../../src/experiments/sweep-spec';
import { pooledEstimate } from '../../../src/experiments/variance';
import { tmpDir } from '../../support/tmp';
import { writeFakeEvaluation, writeFakeTraining } from '../../support/fake-runs';

beforeAll(() => setLogLevel('quiet'));
afterAll(() => setLogLevel('info'));

const steps: RunSteps = {
  train: async (config, opts) => writeFakeTraining(opts.out, config, { epochs: 2 }),
  evaluate: async (dir) => writeFakeEvaluation(dir),
};

const CLASSES = ['a', 'b', 'c'];
function scored(seed: string, n: number, skill: number): ScoredImages {
  const rng = seedrandom(seed);
  const labels = Array.from({ length: n }, (_, i) => CLASSES[i % 3]!);
  return { paths: labels.map((_, i) => `${seed}/${i}.jpg`), labels, preds: labels.map((l) => (rng() < skill ? l : CLASSES[Math.floor(rng() * 3)]!)), classes: CLASSES };
}

describe('pooled out-of-fold estimate', () => {
  it('scores all folds together, and its interval widens with the spread between the folds\' models', () => {
    const same = [0, 1, 2, 3, 4].map((i) => scored(`s${i}`, 60, 0.7));
    const mixed = [0.35, 0.9, 0.5, 0.95, 0.6].map((skill, i) => scored(`s${i}`, 60, skill));
    const p = pooledEstimate(same, { resamples: 400, seed: 1 });
    const all = same.flatMap((s) => s.labels.map((l, i) => [CLASSES.indexOf(l), CLASSES.indexOf(s.preds[i]!)] as const));
    const m = classificationMetrics(all.map((x) => x[0]), all.map((x) => x[1]), 3);
    expect(p.images).toBe(300);
    expect(p.accuracy.value).toBeCloseTo(m.accuracy, 12);
    expect(p.f1_macro.value).toBeCloseTo(m.macro.f1, 12);
    expect(p.accuracy.lo).toBeLessThan(p.accuracy.value);
    expect(p.accuracy.hi).toBeGreaterThan(p.accuracy.value);
    const q = pooledEstimate(mixed, { resamples: 400, seed: 1 });
    expect(q.accuracy.hi - q.accuracy.lo).toBeGreaterThan(1.5 * (p.accuracy.hi - p.accuracy.lo));
    expect(pooledEstimate(same, { resamples: 50, seed: 4 })).toEqual(pooledEstimate(same, { resamples: 50, seed: 4 }));
  });
});

describe('sweep summaries over seeds and folds', () => {
  function sweep(dir: string, body: Record<string, unknown>): string {
    const file = path.join(dir, 'sweep.yaml');
    fs.writeFileSync(file, YAML.stringify(body));
    return file;
  }

  it('a seed sweep is summarised per configuration: mean, SD and t-interval over the seeds', async () => {
    const t = tmpDir();
    try {
      const out = path.join(t.dir, 'out');
      const spec = loadSweepSpec(sweep(t.dir, { base: 'quickstart.yaml', grid: { 'data.resize': ['letterbox', 'stretch'], seed: [1, 2, 3] }, evaluate: { bootstrap: 20 } }));
      await runSweep(spec, { out, steps });
      const rows = parseCsv(fs.readFileSync(path.join(out, 'variance.csv'), 'utf8'));
      expect(rows[0]!.slice(0, 3)).toEqual(['data.resize', 'over', 'runs']);
      expect(rows.slice(1).map((r) => r.slice(0, 3))).toEqual([
        ['letterbox', 'seed', '3'],
        ['stretch', 'seed', '3'],
      ]);
      const h = rows[0]!;
      for (const row of rows.slice(1)) {
        const accs = [1, 2, 3].map((s) => readRunData(path.join(out, `resize-${row[0]}_seed-${s}`)).metrics!.accuracy);
        const want = tInterval(accs);
        expect(Number(row[h.indexOf('accuracy_mean')])).toBeCloseTo(want.mean, 12);
        expect(Number(row[h.indexOf('accuracy_sd')])).toBeCloseTo(want.sd, 12);
        expect(Number(row[h.indexOf('accuracy_t_lo')])).toBeCloseTo(want.lo, 12);
        expect(Number(row[h.indexOf('accuracy_t_hi')])).toBeCloseTo(want.hi, 12);
        expect(row[h.indexOf('pooled_accuracy')]).toBe('');
      }
      const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
      expect(md).toContain('## Training variance');
      expect(md).toMatch(/- data\.resize=letterbox \(3 runs\): accuracy \d+\.\d% ± \d+\.\d% \(SD\), 95% t-interval \[/);
      // Runs of one setting and one seed are compared; seeds of one setting are not.
      const pairs = parseCsv(fs.readFileSync(path.join(out, 'pairs.csv'), 'utf8')).slice(1);
      expect(pairs.map((r) => `${r[0]} ${r[1]}`)).toEqual([1, 2, 3].map((s) => `resize-letterbox_seed-${s} resize-stretch_seed-${s}`));
    } finally {
      t.cleanup();
    }
  });

  it('a 5-fold sweep pools the out-of-fold predictions into one estimate with an interval', async () => {
    const t = tmpDir();
    try {
      const out = path.join(t.dir, 'out');
      const spec = loadSweepSpec(sweep(t.dir, { base: 'quickstart.yaml', fixed: { 'data.folds': 5 }, grid: { 'data.fold': [0, 1, 2, 3, 4] }, evaluate: { bootstrap: 50 } }));
      await runSweep(spec, { out, steps });
      const rows = parseCsv(fs.readFileSync(path.join(out, 'variance.csv'), 'utf8'));
      const h = rows[0]!;
      expect(rows).toHaveLength(2);
      const row = rows[1]!;
      expect(row[h.indexOf('over')]).toBe('data.fold');
      const images = Number(row[h.indexOf('pooled_images')]);
      const runs = [0, 1, 2, 3, 4].map((f) => readRunData(path.join(out, `fold-${f}`)));
      expect(images).toBe(runs.reduce((s, r) => s + r.split!.val.length, 0));
      const [v, lo, hi] = ['pooled_accuracy', 'pooled_accuracy_lo', 'pooled_accuracy_hi'].map((k) => Number(row[h.indexOf(k)]));
      const correct = runs.reduce((s, r) => s + r.metrics!.accuracy * r.split!.val.length, 0);
      expect(v).toBeCloseTo(correct / images, 9);
      expect(lo).toBeLessThanOrEqual(v!);
      expect(hi).toBeGreaterThanOrEqual(v!);
      expect(fs.readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/pooled out-of-fold \(\d+ images\): accuracy \d+\.\d% \[\d+\.\d%, \d+\.\d%\]/);
    } finally {
      t.cleanup();
    }
  });
});
