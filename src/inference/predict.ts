import * as tf from '@tensorflow/tfjs';
import { isTimError, oneLine, TimError } from '../core/errors';
import { imageToInput } from '../data/tensor';
import { topK, type RankedClass } from './topk';
import type { ContentBox } from '../data/types';
import type { InferenceRun } from './inference-run';
import { judgeLogits, type Confidence } from './calibration';
import type { TtaMode } from '../io/run-folder';

export type { TtaMode } from '../io/run-folder';

export interface Prediction {
  file: string;
  /** The most probable class and its softmax probability. */
  label: string;
  confidence: number;
  top: RankedClass[];
  /** The unknown-artist score and decision, and whether the probabilities are calibrated. */
  unknown: Confidence;
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
  /** Show the raw softmax even when the run has a calibration.json. */
  uncalibrated?: boolean;
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

/** A batch of images loaded as the run trained, and where each picture lies in its square. */
export interface InputBatch {
  x: tf.Tensor4D;
  files: string[];
  boxes: ContentBox[];
}

/**
 * Loads the images as one batch; an unreadable one is reported to `onBadImage` and skipped, or,
 * without it, throws. Null when none could be read. The caller disposes `x`.
 */
export async function loadBatch(run: InferenceRun, files: readonly string[], onBadImage?: (file: string, error: TimError) => void): Promise<InputBatch | null> {
  const inputs: tf.Tensor4D[] = [];
  const loaded: string[] = [];
  const boxes: ContentBox[] = [];
  try {
    for (const file of files) {
      try {
        const { x, box } = await loadInput(run, file);
        inputs.push(x);
        loaded.push(file);
        boxes.push(box);
      } catch (e) {
        if (!onBadImage || !isTimError(e)) throw e;
        onBadImage(file, e);
      }
    }
    return inputs.length === 0 ? null : { x: tf.concat(inputs, 0), files: loaded, boxes };
  } finally {
    tf.dispose(inputs);
  }
}

/**
 * Softmax probabilities of a batch in inference mode; with `flip`, the mean of the softmax of
 * the batch and of its horizontal mirror.
 */
export function batchProbabilities(model: tf.LayersModel, x: tf.Tensor4D, tta: TtaMode = 'none'): tf.Tensor2D {
  return tf.tidy(() => {
    const probs = (input: tf.Tensor4D): tf.Tensor2D => tf.softmax(model.predict(input) as tf.Tensor2D);
    const plain = probs(x);
    if (tta !== 'flip') return plain;
    return plain.add(probs(tf.image.flipLeftRight(x))).div<tf.Tensor2D>(2);
  });
}

/**
 * The logits of a batch and their softmax probabilities, read back, in inference mode; with
 * `flip`, the mean of the logits of the batch and its mirror, and the mean of their softmax
 * (the probabilities `batchProbabilities` gives).
 */
export async function logitsAndProbabilities(model: tf.LayersModel, x: tf.Tensor4D, tta: TtaMode = 'none'): Promise<{ logits: Float32Array; probs: Float32Array }> {
  const [logits, probs] = tf.tidy(() => {
    const plain = model.predict(x) as tf.Tensor2D;
    if (tta !== 'flip') return [plain, tf.softmax(plain)];
    const mirrored = model.predict(tf.image.flipLeftRight(x)) as tf.Tensor2D;
    return [plain.add(mirrored).div<tf.Tensor2D>(2), tf.softmax(plain).add(tf.softmax(mirrored)).div<tf.Tensor2D>(2)];
  });
  try {
    const [z, p] = await Promise.all([logits.data(), probs.data()]);
    return { logits: z as Float32Array, probs: p as Float32Array };
  } finally {
    tf.dispose([logits, probs]);
  }
}

/** Softmax probabilities of a batch, read back, in inference mode. */
export async function probabilities(model: tf.LayersModel, x: tf.Tensor4D, tta: TtaMode = 'none'): Promise<Float32Array> {
  const p = batchProbabilities(model, x, tta);
  try {
    return (await p.data()) as Float32Array;
  } finally {
    p.dispose();
  }
}

/** The top classes with confidence for each image, predicted in batches. */
export async function predictImages(run: InferenceRun, files: readonly string[], opts: PredictOptions = {}): Promise<Prediction[]> {
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  const k = opts.topK ?? 3;
  const out: Prediction[] = [];
  for (let start = 0; start < files.length; start += batchSize) {
    const batch = await loadBatch(run, files.slice(start, start + batchSize), opts.onBadImage);
    if (!batch) continue;
    let logits: Float32Array;
    try {
      logits = (await logitsAndProbabilities(run.tm.model, batch.x)).logits;
    } finally {
      batch.x.dispose();
    }
    const n = run.labels.length;
    batch.files.forEach((file, i) => {
      const { probs, confidence } = judgeLogits(logits.subarray(i * n, (i + 1) * n), run.calibration, opts.uncalibrated);
      const top = topK(probs, run.labels, k);
      const first = top[0] as RankedClass;
      out.push({ file, label: first.label, confidence: first.confidence, top, unknown: confidence });
    });
  }
  return out;
}
