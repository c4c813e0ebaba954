import type { LayersModel } from '@tensorflow/tfjs';
import type { DatasetItem, PreprocessSpec } from '../data/types';
import { probabilities, type TtaMode } from '../inference/predict';
import { evalBatches } from './inputs';

/** Class probabilities for every item, in the items' order. */
export interface ItemPredictions {
  paths: string[];
  labels: number[];
  /** Row-major n×K softmax probabilities. */
  probs: Float32Array;
  numClasses: number;
}

/** Runs the model over the items in batches, never in training mode and without augmentation. */
export async function predictItems(
  model: LayersModel,
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
      const p = await probabilities(model, batch.x, opts.tta ?? 'none');
      numClasses = p.length / batch.x.shape[0];
      chunks.push(p);
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
