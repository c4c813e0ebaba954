import * as tf from '@tensorflow/tfjs';
import type { DatasetItem, PreprocessSpec } from '../data/types';
import { evalBatches } from './inputs';

export type TtaMode = 'none' | 'flip';

/** Class probabilities for every item, in the items' order. */
export interface ItemPredictions {
  paths: string[];
  labels: number[];
  /** Row-major n×K softmax probabilities. */
  probs: Float32Array;
  numClasses: number;
}

/**
 * Softmax probabilities of a batch in inference mode; with `flip`, the mean of the softmax of
 * the batch and of its horizontal mirror.
 */
export function batchProbabilities(model: tf.LayersModel, x: tf.Tensor4D, tta: TtaMode): tf.Tensor2D {
  return tf.tidy(() => {
    const probs = (input: tf.Tensor4D): tf.Tensor2D => tf.softmax(model.predict(input) as tf.Tensor2D);
    const plain = probs(x);
    if (tta !== 'flip') return plain;
    return plain.add(probs(tf.image.flipLeftRight(x))).div<tf.Tensor2D>(2);
  });
}

/** Runs the model over the items in batches, never in training mode and without augmentation. */
export async function predictItems(
  model: tf.LayersModel,
  root: string,
  items: readonly DatasetItem[],
  spec: PreprocessSpec,
  opts: { batchSize: number; tta?: TtaMode; onProgress?: (done: number) => void },
): Promise<ItemPredictions> {
  const paths: string[] = [];
  const labels: number[] = [];
  const chunks: Float32Array[] = [];
  let numClasses = 0;
  for await (const batch of evalBatches(root, items, spec, opts.batchSize)) {
    try {
      const p = batchProbabilities(model, batch.x, opts.tta ?? 'none');
      numClasses = p.shape[1];
      chunks.push((await p.data()) as Float32Array);
      p.dispose();
    } finally {
      batch.x.dispose();
    }
    paths.push(...batch.paths);
    labels.push(...batch.labels);
    opts.onProgress?.(paths.length);
  }
  const probs = new Float32Array(paths.length * numClasses);
  let offset = 0;
  for (const c of chunks) {
    probs.set(c, offset);
    offset += c.length;
  }
  return { paths, labels, probs, numClasses };
}

/** Row `i` of a row-major matrix. */
export function rowOf(probs: Float32Array, numClasses: number, i: number): Float32Array {
  return probs.subarray(i * numClasses, (i + 1) * numClasses);
}
