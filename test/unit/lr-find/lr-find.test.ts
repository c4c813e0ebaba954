import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { configToYaml } from '../../../src/config/load';
import type { TimConfig } from '../../../src/config/schema';
import { RunFolder } from '../../../src/io/run-folder';
import { groupVariables } from '../../../src/models';
import { suggest, sweepRate } from '../../../src/lr-find/curve';
import { lrFind } from '../../../src/lr-find/lr-find';
import { lrSweep, type SweepResult } from '../../../src/lr-find/sweep';
import { trainedGroups } from '../../../src/train/groups';
import { createTrainer } from '../../../src/train/trainer';
import { timOk } from '../../support/cli';
import { folderSnapshot } from '../../support/folder-snapshot';
import { tinyLrFindConfig } from '../../support/lr-find-config';
import { tmpDir } from '../../support/tmp';
import { makeDataset, makeRun } from '../evaluate/run-fixture';
import { memorySource, testConfig, tinyModel } from '../train/helpers';

jest.setTimeout(120_000);

let tmp: ReturnType<typeof tmpDir>;
let config: TimConfig;

beforeAll(async () => {
  tmp = tmpDir();
  config = await tinyLrFindConfig(tmp.dir);
});
afterAll(() => tmp.cleanup());

const out = (name: string): string => path.join(tmp.dir, 'out', name);

describe('the sweep', () => {
  /** A sweep of tiny_cnn, always from the same seeded weights, over in-memory batches. */
  const sweepOnce = async (): Promise<SweepResult> => {
    const tm = tinyModel(3, 8, 11);
    const cfg = testConfig({ batch_size: 6, lr_groups: { early: 1e-5, middle: 1e-4, head: 1e-3 } });
    const source = memorySource({ n: 12, classes: 3, size: 8, batchSize: 6, seed: 4 });
    const trainer = createTrainer({
      tm,
      train: cfg.train,
      groups: trainedGroups(groupVariables(tm, 'early'), { freezeBackbone: false, lrGroups: cfg.train.lr_groups }),
      freezeBackbone: false,
      trainSource: source,
      numClasses: 3,
      seed: 3,
      microBatch: 6,
      run: new RunFolder(out('unused')),
    });
    try {
      return await lrSweep(trainer, source, { steps: 30, startLr: 1e-4, endLr: 1e4, seed: 3 });
    } finally {
      trainer.optimizers.dispose();
      tm.model.dispose();
    }
  };

  it('raises the head rate exponentially, stops once the smoothed loss passes 4x its best, replays exactly, and frees its tensors', async () => {
    const before = tf.memory().numTensors;
    const a = await sweepOnce();
    expect(tf.memory().numTensors).toBe(before);
    expect(a.stopped).toBe('diverged');
    expect(a.points.length).toBeLessThan(30);
    a.points.forEach((p, i) => expect(p.lr).toBe(sweepRate(1e-4, 1e4, i, 30)));
    const smoothed = a.points.map((p) => p.smoothed);
    const last = smoothed[smoothed.length - 1] as number;
    expect(last > 4 * Math.min(...smoothed.slice(0, -1)) || Number.isNaN(last)).toBe(true);
    // No earlier point had diverged.
    smoothed.slice(0, -1).forEach((s, i) => expect(s).toBeLessThanOrEqual(4 * Math.min(...smoothed.slice(0, i + 1))));
    expect(await sweepOnce()).toEqual(a);
  });
});

describe('tim lr-find', () => {
  it('writes the curve and the suggestions, scaled to the groups at the config ratios, and never touches the run of the same name', async () => {
    const split = await makeDataset(path.join(tmp.dir, 'run-data'), 1);
    const runDir = path.join(tmp.dir, 'checkpoints', config.name);
    await makeRun(runDir, split, { resize: 'letterbox' });
    const before = folderSnapshot(runDir);
    const tensors = tf.memory().numTensors;
    const r = await lrFind(config, { out: out('a'), steps: 30, startLr: 1e-5, endLr: 1e3 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(folderSnapshot(runDir)).toEqual(before);

    const smoothed = r.curve.map((p) => p.smoothed as number);
    const s = suggest(r.curve.map((p) => p.lr), smoothed, 30);
    expect(s).not.toBeNull();
    for (const name of ['steepest', 'valley'] as const) {
      const g = r.suggestions![name].lr_groups;
      expect(g.head).toBe(s![name].lr);
      expect(g.middle / g.head).toBeCloseTo(0.1, 12);
      expect(g.early / g.head).toBeCloseTo(0.01, 12);
    }
    expect(JSON.parse(fs.readFileSync(path.join(out('a'), 'lr-find.json'), 'utf8'))).toEqual(r);
    const png = await sharp(path.join(out('a'), 'lr-find.png')).metadata();
    expect([png.format, png.width]).toEqual(['png', 760]);

    for (const target of [runDir, path.join(runDir, 'lr')]) {
      await expect(lrFind(config, { out: target, force: true })).rejects.toThrow(/is a Tim run folder; lr-find never writes into a run/);
    }
    expect(folderSnapshot(runDir)).toEqual(before);
  });

  it('replaces only an earlier lr-find, and only with --force', async () => {
    fs.mkdirSync(out('earlier'), { recursive: true });
    fs.writeFileSync(path.join(out('earlier'), 'lr-find.json'), '{}');
    await expect(lrFind(config, { out: out('earlier') })).rejects.toThrow(/already exists; use --force/);
    const other = out('photos');
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(other, 'holiday.jpg'), 'mine');
    await expect(lrFind(config, { out: other, force: true })).rejects.toThrow(/not an lr-find folder/);
    expect(fs.readFileSync(path.join(other, 'holiday.jpg'), 'utf8')).toBe('mine');
  });

  it('runs from the command line and prints each suggestion as --set flags', async () => {
    const file = path.join(tmp.dir, 'tiny_lr.yaml');
    fs.writeFileSync(file, configToYaml(config));
    const r = await timOk(['lr-find', '--config', file, '--steps', '20', '--start-lr', '1e-4', '--end-lr', '1', '--out', out('cli')]);
    expect(r.stdout).toMatch(/^lr-find tiny_lr \(tiny_cnn\): \d+ of 20 steps/);
    expect(r.stdout).toMatch(/smoothed loss by head rate: 1e-4 \d+\.\d{3} · 1e-3 \d/);
    expect(r.stdout).toMatch(/valley {3}head \S+ \(loss \S+\): --set train\.lr_groups\.early=\S+ --set train\.lr_groups\.middle=\S+ --set train\.lr_groups\.head=\S+/);
    expect(fs.existsSync(path.join(out('cli'), 'lr-find.png'))).toBe(true);
  });
});
