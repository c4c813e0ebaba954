import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '../../../src/config/load';
import type { TimConfig } from '../../../src/config/schema';
import { historyFile, RunFolder } from '../../../src/io/run-folder';
import { train } from '../../../src/train/train';
import { type HistoryRecord } from '../../../src/train/types';
import { tmpDir } from '../../support/tmp';
import { writeNoise } from '../data/images';

// Training runs: slow on a shared 2-core machine.
jest.setTimeout(180_000);

function config(root: string): TimConfig {
  return parseConfig({
    name: 'augment-test',
    seed: 11,
    data: { root, image_size: 16, val_fraction: 0.34, cache: false },
    augment: {
      random_resized_crop: { scale: [0.3, 1] },
      policy: 'trivialaugment',
      mixup: { alpha: 0.4, cutmix_alpha: 1, switch_prob: 0.5, label_smoothing: 0.1 },
    },
    model: { arch: 'tiny_cnn' },
    train: { epochs: 2, batch_size: 4, class_weights: 'balanced', lr_groups: { early: 1e-3, middle: 1e-3, head: 1e-2 } },
    runtime: { backend: 'cpu' },
  });
}

const machineFields = ({ seconds: _s, images_per_sec: _i, rss_mb: _r, data_wait_seconds: _w, data_prepare_seconds: _p, ...rest }: HistoryRecord): unknown => rest;

describe('training with RandomResizedCrop, TrivialAugment and mixup/CutMix', () => {
  const work = tmpDir();
  const root = path.join(work.dir, 'images');
  beforeAll(async () => {
    for (const name of ['alpha', 'beta', 'gamma']) {
      for (let i = 0; i < 6; i++) await writeNoise(path.join(root, name, `${name}_${i}.png`), 20 + i, 18, 'png', `${name}${i}`);
    }
  });
  afterAll(() => work.cleanup());

  it('an interrupted run resumes to the same history as one that was not, with no tensor left behind', async () => {
    const before = tf.memory().numTensors;
    const out = path.join(work.dir, 'interrupted');
    let polls = 0;
    const first = await train(config(root), { out, liveProgress: false, shouldStop: () => ++polls === 2 });
    expect(first.interrupted).toBe(true);
    const run = new RunFolder(out);
    expect(run.config()).toEqual(config(root));
    await train(run.config(), { resume: out, liveProgress: false });
    const straight = path.join(work.dir, 'straight');
    await train(config(root), { out: straight, liveProgress: false });
    const history = new RunFolder(straight).readLines(historyFile);
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(history.every((h) => Number.isFinite(h.train_loss))).toBe(true);
    expect(run.readLines(historyFile).map(machineFields)).toEqual(history.map(machineFields));
    expect(tf.memory().numTensors).toBe(before);
  });
});
