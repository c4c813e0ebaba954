import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { enableTraining } from '@tim/tfjs-training';
import { parseConfig } from '../../src/config/load';
import type { TimConfig } from '../../src/config/schema';
import { paintDataset } from './tiny-run';

/**
 * The LR finder's tests' set-up: the cpu backend with its training kernels, a painted dataset
 * under `dir`/data (six images per artist) and a tiny CNN's config on it.
 */
export async function tinyLrFindConfig(dir: string): Promise<TimConfig> {
  await tf.setBackend('cpu');
  enableTraining('cpu');
  const data = path.join(dir, 'data');
  await paintDataset(data, 6);
  return parseConfig({
    name: 'tiny_lr',
    seed: 5,
    data: { root: data, image_size: 16, resize: 'letterbox', val_fraction: 0.34, cache: false },
    model: { arch: 'tiny_cnn' },
    train: { batch_size: 6, lr_groups: { early: 1e-5, middle: 1e-4, head: 1e-3 } },
    runtime: { backend: 'cpu' },
  });
}
