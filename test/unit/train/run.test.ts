import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import seedrandom from 'seedrandom';
import { parseConfig } from '../../../src/config/load';
import type { TimConfig } from '../../../src/config/schema';
import { historyFile, RUN_FILES, RunFolder } from '../../../src/io/run-folder';
import { loadTimModel } from '../../../src/models/persist';
import { train } from '../../../src/train/train';
import { type HistoryRecord, type TrainSummary } from '../../../src/train/types';
import { tmpDir } from '../../support/tmp';

const readJsonAs = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

// Training runs: slow on a shared 2-core machine.
jest.setTimeout(180_000);

/** Three classes of small pictures, each class a dominant colour with noise. */
async function writeImages(root: string): Promise<void> {
  const rng = seedrandom('run-test-images');
  const colours = [
    [200, 40, 40],
    [40, 200, 40],
    [40, 40, 200],
  ];
  for (const [k, name] of ['alpha', 'beta', 'gamma'].entries()) {
    fs.mkdirSync(path.join(root, name), { recursive: true });
    for (let i = 0; i < 6; i++) {
      const w = 20 + Math.floor(rng() * 8);
      const h = 16 + Math.floor(rng() * 8);
      const data = Buffer.alloc(w * h * 3);
      const c = colours[k] as number[];
      for (let p = 0; p < w * h * 3; p++) data[p] = Math.max(0, Math.min(255, (c[p % 3] as number) + Math.floor((rng() - 0.5) * 80)));
      await sharp(data, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path.join(root, name, `${name}_${i}.png`));
    }
  }
}

function config(root: string, train: Record<string, unknown> = {}): TimConfig {
  return parseConfig({
    name: 'run-test',
    seed: 7,
    data: { root, image_size: 16, val_fraction: 0.34, cache: false },
    model: { arch: 'tiny_cnn' },
    train: { epochs: 2, batch_size: 4, lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-2 }, ...train },
    runtime: { backend: 'cpu' },
  });
}

const machineFields = ({ seconds: _s, images_per_sec: _i, rss_mb: _r, data_wait_seconds: _w, data_prepare_seconds: _p, ...rest }: HistoryRecord): unknown => rest;

describe('train() run folder', () => {
  const work = tmpDir();
  const root = path.join(work.dir, 'images');
  beforeAll(async () => {
    await writeImages(root);
  });
  afterAll(() => work.cleanup());

  it('writes the run folder, never overwrites it without force, and replays the same history', async () => {
    const before = tf.memory().numTensors;
    const out = path.join(work.dir, 'run');
    const summary = await train(config(root), { out, liveProgress: false });
    const run = new RunFolder(out);
    for (const f of ['config', 'labels', 'split', 'history', 'summary', 'best', 'last'] as const) expect(run.has(f)).toBe(true);
    expect(run.labels()).toEqual(['alpha', 'beta', 'gamma']);
    expect(run.config()).toEqual(config(root));
    const split = readJsonAs<{ train: unknown[]; val: unknown[] }>(run.file('split'));
    expect(split.train.length + split.val.length).toBe(18);
    const history = run.readLines(historyFile);
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    for (const h of history) {
      expect(Object.keys(h).sort()).toEqual(
        ['epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'lr', 'update_ratio', 'seconds', 'images_per_sec', 'data_wait_seconds', 'data_prepare_seconds', 'num_tensors', 'rss_mb'].sort(),
      );
      expect(Object.keys(h.lr).sort()).toEqual(['early', 'head', 'middle']);
    }
    const saved = readJsonAs<TrainSummary>(run.file('summary'));
    expect(saved).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(saved).toMatchObject({ backend: 'cpu', stopped_epoch: 2, stopped_early: false, interrupted: false, monitor: 'val_acc' });
    expect(saved.best_epoch).toBeGreaterThanOrEqual(1);
    const best = await loadTimModel(run.file('best'));
    expect(best.numClasses).toBe(3);
    best.model.dispose();
    expect(fs.existsSync(path.join(run.file('last'), 'optimizer.bin'))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);

    // An existing run folder stays as it is without --force.
    const mtime = fs.statSync(run.file('history')).mtimeMs;
    await expect(train(config(root), { out, liveProgress: false })).rejects.toThrow(/already exists; use --force/);
    expect(fs.statSync(run.file('history')).mtimeMs).toBe(mtime);

    // With --force it is replaced, and the same seed gives the same history.
    await train(config(root), { out, force: true, liveProgress: false });
    expect(new RunFolder(out).readLines(historyFile).map(machineFields)).toEqual(history.map(machineFields));
    expect(fs.readdirSync(out).sort()).toEqual([RUN_FILES.marker, RUN_FILES.best, RUN_FILES.config, RUN_FILES.history, RUN_FILES.labels, RUN_FILES.last, RUN_FILES.split, RUN_FILES.summary].sort());
  });

  it('an interrupted run resumes from its folder to the same end', async () => {
    const out = path.join(work.dir, 'interrupted');
    let polls = 0;
    const first = await train(config(root, { class_weights: 'balanced', label_smoothing: 0.1 }), { out, liveProgress: false, shouldStop: () => ++polls === 2 });
    expect(first.interrupted).toBe(true);
    const run = new RunFolder(out);
    expect(readJsonAs<TrainSummary>(run.file('summary')).interrupted).toBe(true);
    const resumed = await train(run.config(), { resume: out, liveProgress: false });
    expect(resumed.interrupted).toBe(false);
    expect(resumed.stopped_epoch).toBe(2);
    expect(run.readLines(historyFile).map((h) => h.epoch)).toEqual([1, 2]);

    const straight = path.join(work.dir, 'straight');
    await train(config(root, { class_weights: 'balanced', label_smoothing: 0.1 }), { out: straight, liveProgress: false });
    expect(new RunFolder(straight).readLines(historyFile).map(machineFields)).toEqual(run.readLines(historyFile).map(machineFields));
    await expect(train(run.config(), { resume: out })).rejects.toThrow(/nothing to resume/);
  });
});
