import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { parseConfig } from '../../../src/config/load';
import type { TimConfig } from '../../../src/config/schema';
import type { Batch } from '../../../src/data/types';
import { createModel } from '../../../src/models/registry';
import type { TimModel } from '../../../src/models/types';
import type { BatchSource } from '../../../src/train/types';

/**
 * A small in-memory data set: each class has its own mean colour plus noise, so tiny_cnn can
 * learn it. batches(epoch) shuffles with a generator seeded by (seed, epoch), like the Loader.
 */
export function memorySource(opts: { n: number; classes: number; size: number; batchSize: number; seed: number; shuffle?: boolean }): BatchSource & { labels: number[] } {
  const rng = seedrandom(`data-${opts.seed}`);
  const pixels = opts.size * opts.size * 3;
  const images: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < opts.n; i++) {
    const label = i % opts.classes;
    const img = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) {
      const channel = p % 3;
      img[p] = (channel === label % 3 ? 1 : -0.5) * (1 + label / opts.classes) + (rng() - 0.5);
    }
    images.push(img);
    labels.push(label);
  }
  const numBatches = Math.ceil(opts.n / opts.batchSize);
  return {
    size: opts.n,
    numBatches,
    labels,
    async *batches(epoch: number): AsyncGenerator<Batch> {
      const order = labels.map((_, i) => i);
      if (opts.shuffle !== false) {
        const r = seedrandom(`shuffle-${opts.seed}-${epoch}`);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(r() * (i + 1));
          [order[i], order[j]] = [order[j] as number, order[i] as number];
        }
      }
      for (let b = 0; b < numBatches; b++) {
        const idx = order.slice(b * opts.batchSize, (b + 1) * opts.batchSize);
        const data = new Float32Array(idx.length * pixels);
        idx.forEach((k, i) => data.set(images[k] as Float32Array, i * pixels));
        await Promise.resolve();
        yield {
          x: tf.tensor4d(data, [idx.length, opts.size, opts.size, 3]),
          y: tf.tensor1d(idx.map((k) => labels[k] as number), 'int32'),
          paths: idx.map((k) => `img${k}.png`),
        };
      }
    },
  };
}

export function tinyModel(classes: number, size: number, seed = 1): TimModel {
  return createModel('tiny_cnn', { numClasses: classes, inputSize: size, seed });
}

/** A config for tests; `train` keys override the defaults. */
export function testConfig(train: Record<string, unknown> = {}, model: Record<string, unknown> = {}): TimConfig {
  return parseConfig({
    name: 'test',
    seed: 3,
    data: { root: 'unused', image_size: 16 },
    model: { arch: 'tiny_cnn', ...model },
    train: { epochs: 2, batch_size: 8, ...train },
  });
}

/** Copies of all weights of a model by name, as plain arrays. */
export function weightValues(tm: TimModel): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const w of tm.model.weights) out.set(w.originalName, w.read().dataSync() as Float32Array);
  return out;
}

export function sameArray(a: Float32Array | undefined, b: Float32Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
