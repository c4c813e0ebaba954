import * as tf from '@tensorflow/tfjs';
import { isTimError, oneLine, TimError } from '../core/errors';
import { imageToInput } from '../data';
import type { InferenceRun } from './run';
import { topK, type RankedClass } from './topk';

export interface Prediction {
  file: string;
  /** The most probable class and its softmax probability. */
  label: string;
  confidence: number;
  top: RankedClass[];
}

export interface PredictOptions {
  /** Images per forward pass (default 8). */
  batchSize?: number;
  /** How many classes to rank (default 3). */
  topK?: number;
  /**
   * Called for an image that cannot be read; it is then skipped. Without it the first bad
   * image throws a TimError naming the file.
   */
  onBadImage?: (file: string, error: TimError) => void;
}

/** Loads one image as the run trained; unreadable files become a TimError naming them. */
export async function loadInput(run: InferenceRun, file: string): Promise<Awaited<ReturnType<typeof imageToInput>>> {
  try {
    return await imageToInput(file, run.spec);
  } catch (e) {
    if (isTimError(e) && e.message.includes(file)) throw e;
    throw new TimError(`${file}: cannot read image (${oneLine(e)})`);
  }
}

/** Softmax probabilities of a batch, in inference mode. */
export function probabilities(model: tf.LayersModel, x: tf.Tensor4D): Float32Array {
  return tf.tidy(() => tf.softmax(model.predict(x) as tf.Tensor2D).dataSync() as Float32Array);
}

/** The top classes with confidence for each image, predicted in batches. */
export async function predictImages(run: InferenceRun, files: readonly string[], opts: PredictOptions = {}): Promise<Prediction[]> {
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  const k = opts.topK ?? 3;
  const out: Prediction[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const inputs: tf.Tensor4D[] = [];
    const names: string[] = [];
    try {
      for (const file of files.slice(start, start + batchSize)) {
        try {
          inputs.push((await loadInput(run, file)).x);
          names.push(file);
        } catch (e) {
          if (!opts.onBadImage || !isTimError(e)) throw e;
          opts.onBadImage(file, e);
        }
      }
      if (inputs.length === 0) continue;
      const x = tf.concat(inputs, 0);
      const probs = probabilities(run.tm.model, x);
      x.dispose();
      const n = run.labels.length;
      names.forEach((file, i) => {
        const top = topK(probs.subarray(i * n, (i + 1) * n), run.labels, k);
        const first = top[0] as RankedClass;
        out.push({ file, label: first.label, confidence: first.confidence, top });
      });
    } finally {
      tf.dispose(inputs);
    }
  }
  return out;
}
