import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../../../src/core/errors';
import { setLogLevel } from '../../../src/core/log';
import { compareRunDirs } from '../../../src/evaluate/paired';
import { bestValidation, loadReference, REFERENCE_DIR } from '../../../src/experiments/reference';
import type { RunSteps } from '../../../src/experiments/steps';
import { runSweep } from '../../../src/experiments/sweep';
import { expandSweep, loadSweepSpec, parseSweepSpec } from '../../../src/experiments/sweep-spec';
import { buildSweepReport } from '../../../notebooks-ts/experiments';
import { parseCsv } from '../../../src/io/csv';
import { tmpDir } from '../../support/tmp';
import { writeFakeEvaluation, writeFakeTraining } from '../../support/fake-runs';

beforeAll(() => setLogLevel('quiet'));
afterAll(() => setLogLevel('info'));

const SWEEP = path.resolve(__dirname, '../../../configs/sweeps/reference_experiments.yaml');
const steps: RunSteps = {
  train: async (config, opts) => writeFakeTraining(opts.out, config, { epochs: 3 }),
  evaluate: async (dir) => writeFakeEvaluation(dir),
};

describe('the reference experiments sweep', () => {
  it('lists the seven runs of the reference, each from its own shipped config', () => {
    const runs = expandSweep(loadSweepSpec(SWEEP));
    const by = new Map(runs.map((r) => [r.name, r]));
    expect(runs).toHaveLength(7);
    expect(by.get('resnet50_baseline')!.config).toMatchObject({ model: { arch: 'resnet50', freeze_backbone: true }, train: { epochs: 10 } });
    expect(by.get('convnext_tiny_finetuned')!.config.model.arch).toBe('convnext_tiny');
    expect(by.get('efficientnet_b0_batch48_no_padding')!.config).toMatchObject({ data: { resize: 'stretch' }, train: { batch_size: 48 } });
    expect(new Set(runs.map((r) => r.config.seed))).toEqual(new Set([42]));
    const reference = loadReference();
    for (const r of runs) expect(reference.runs.has(r.reference!)).toBe(true);
  });

  it('runs: entries take overrides, cross with a grid, and are checked key by key', () => {
    const file = path.join(path.dirname(SWEEP), 'x.yaml');
    const spec = parseSweepSpec({ base: 'quickstart.yaml', runs: [{ name: 'plain' }, { name: 'wide', set: { 'data.resize': 'stretch' } }], grid: { seed: [1, 2] } }, file);
    const runs = expandSweep(spec);
    expect(runs.map((r) => r.name)).toEqual(['plain_seed-1', 'plain_seed-2', 'wide_seed-1', 'wide_seed-2']);
    expect(runs[3]!.values).toEqual({ experiment: 'wide', seed: 2 });
    expect(runs[3]!.config.data.resize).toBe('stretch');
    expect(() => parseSweepSpec({ runs: [{ name: 'a' }] }, file)).toThrow(/missing key 'base'.*or a 'base' in every entry of 'runs'/);
    expect(() => parseSweepSpec({ base: 'quickstart.yaml', runs: [{ name: 'a', sett: {} }] }, file)).toThrow(/runs\[0\]: unknown key 'sett'/);
    expect(() => parseSweepSpec({ base: 'quickstart.yaml', runs: [{ name: 'a' }, { name: 'a' }] }, file)).toThrow(/two entries of 'runs' are named 'a'/);
    expect(() => parseSweepSpec({ base: 'quickstart.yaml', runs: [{ name: 'a', set: { 'data.resise': 'stretch' } }] }, file)).toThrow(TimError);
  });
});

describe('reference data', () => {
  it("reads the reference's held-out best epoch from its own histories", () => {
    const r = loadReference();
    // The figures of shared/reference/README.md's table, from the copied histories.
    expect([...r.runs.values()].map((v) => [v.id, Number((v.bestVal.accuracy * 100).toFixed(1)), v.bestVal.epoch])).toEqual([
      ['resnet50_baseline', 73.9, 9],
      ['resnet50_finetuned', 79.6, 13],
      ['efficientnet_b0_finetuned', 77.7, 18],
      ['convnext_tiny_finetuned', 82.9, 6],
      ['efficientnet_b0_finetuned_no_padding', 80.6, 18],
      ['efficientnet_b0_finetuned_larger_batch', 75.8, 17],
      ['efficientnet_b0_finetuned_larger_batch_no_padding', 78.0, 16],
    ]);
    const t = tmpDir();
    try {
      const f = path.join(t.dir, 'h.csv');
      fs.writeFileSync(f, 'epoch,train_loss,val_loss,val_acc\n1,1,1,50\n2,1,1,70\n3,1,1,60\n');
      expect(bestValidation(f)).toEqual({ accuracy: 0.7, epoch: 2 });
      fs.writeFileSync(f, 'epoch,loss\n1,2\n');
      expect(() => bestValidation(f)).toThrow(/expected columns epoch and val_acc/);
    } finally {
      t.cleanup();
    }
    expect(fs.existsSync(path.join(REFERENCE_DIR, 'README.md'))).toBe(true);
  });
});

describe('reference experiments report', () => {
  it("sets each run beside the reference's figures and tests its claims on the held-out images", async () => {
    const t = tmpDir();
    try {
      const out = path.join(t.dir, 'sweep');
      const result = await runSweep(loadSweepSpec(SWEEP), { out, steps });
      expect(result.failed).toEqual([]);
      const file = await buildSweepReport({ sweep: out, out: path.join(t.dir, 'ref.html'), resamples: 100 });
      const html = fs.readFileSync(file, 'utf8');
      const section = /<section class="card" id="reference">(.*?)<\/section>/s.exec(html)?.[1] ?? '';
      const rows = [...section.matchAll(/<tr><td>([^<]+)<\/td><td>([^<]*)<\/td><td class="num">([^<]*)<\/td><td class="num">([^<]*)/g)].map((m) => [m[1], m[3], m[4]!.trim()]);
      expect(rows).toEqual(
        expect.arrayContaining([
          ['resnet50_baseline', '79.4%', '73.9%'],
          ['convnext_tiny_finetuned', '94.4%', '82.9%'],
          ['efficientnet_b0_no_padding', '96.6%', '80.6%'],
          ['efficientnet_b0_batch48', '87.3%', '75.8%'],
        ]),
      );
      expect(rows).toHaveLength(7);
      // The claims: padding against none at each batch size, batch 32 against 48 at each resize, Holm over the four.
      const claims = [...section.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]!);
      expect(claims).toHaveLength(4);
      const cmp = compareRunDirs(
        ['efficientnet_b0_finetuned', 'efficientnet_b0_no_padding', 'efficientnet_b0_batch48', 'efficientnet_b0_batch48_no_padding'].map((n) => ({ label: n, dir: path.join(out, n) })),
        { resamples: 100, pairs: [[0, 1], [2, 3], [2, 0], [3, 1]] },
      );
      expect(claims[0]).toBe(`EfficientNet-B0 does better without letterbox padding (batch 32): ${cmp.pairs[0]!.sentence.replace(/&/g, '&amp;')}`);
      expect(claims[0]).toMatch(/^EfficientNet-B0 does better without letterbox padding \(batch 32\): efficientnet_b0_no_padding − efficientnet_b0_finetuned: .*\(Holm, 4 comparisons\)/);
      expect(claims[3]).toMatch(/efficientnet_b0_no_padding − efficientnet_b0_batch48_no_padding: /);
      expect(section).toContain('Holm-corrected over 4 comparisons');
      // The sweep summary compares every pair of the seven (they differ in one key: the run).
      expect(parseCsv(fs.readFileSync(path.join(out, 'pairs.csv'), 'utf8'))).toHaveLength(1 + 21);
    } finally {
      t.cleanup();
    }
  });
});
