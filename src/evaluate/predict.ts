import type { LayersModel } from '@tensorflow/tfjs';
import type { DatasetItem, PreprocessSpec } from '../data/types';
import { logitsAndProbabilities, type TtaMode } from '../inference/predict';
import { evalBatches } from './inputs';

/** Class probabilities for every item, in the items' order. */
export interface ItemPredictions {
  paths: string[];
  labels: number[];
  /** Row-major n×K softmax probabilities. */
  probs: Float32Array;
  /** Row-major n×K logits (with flip TTA, the mean of both views' logits). */
  logits: Float32Array;
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
  const logitChunks: Float32Array[] = [];
  let numClasses = 0;
  for await (const batch of evalBatches(root, items, spec, opts.batchSize)) {
    try {
      const out = await logitsAndProbabilities(model, batch.x, opts.tta ?? 'none');
      numClasses = out.probs.length / batch.x.shape[0];
      chunks.push(out.probs);
      logitChunks.push(out.logits);
    } finally {
      batch.x.dispose();
    }
    paths.push(...batch.paths);
    labels.push(...batch.labels);
    opts.onProgress?.(paths.length);
  }
  return { paths, labels, probs: concatenated(chunks), logits: concatenated(logitChunks), numClasses };
}

function concatenated(chunks: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Row `i` of a row-major matrix. */
export function rowOf(probs: Float32Array, numClasses: number, i: number): Float32Array {
  return probs.subarray(i * numClasses, (i + 1) * numClasses);
}
