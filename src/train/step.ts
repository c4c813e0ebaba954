import * as tf from '@tensorflow/tfjs';
import { type LossOptions, perSampleCrossEntropy, softTargetCrossEntropy, softTargetNorm, weightedLossSum } from './loss';

export interface StepModel {
  model: tf.LayersModel;
  /** The variables that train, in a fixed order (all groups). */
  variables: tf.Variable[];
  /** false in baseline mode: the frozen backbone keeps its BatchNorm statistics. */
  training: boolean;
  loss: LossOptions;
  /** Images per forward/backward pass; gradients are summed over the batch's micro-batches. */
  microBatch: number;
}

export interface StepResult {
  /** Gradient of the full batch's loss for each variable, keyed by variable name. Caller disposes. */
  grads: tf.NamedTensorMap;
  /** [the batch's loss (weighted mean over its images), correct predictions], still on the device; read with stepTotals. */
  totals: tf.Tensor1D;
  count: number;
}

/** Reads a step's loss and hits (the step's one read from the device, asynchronous) and disposes them. */
export async function stepTotals(totals: tf.Tensor1D): Promise<{ loss: number; correct: number }> {
  try {
    const [loss, correct] = await totals.data();
    return { loss: loss ?? NaN, correct: correct ?? 0 };
  } finally {
    totals.dispose();
  }
}

/** Each image's weight (its class's weight, or 1) and their sum (1 where it is 0), on the device. */
function imageWeights(y: tf.Tensor1D, classWeights: readonly number[] | undefined): { w: tf.Tensor1D; norm: tf.Scalar } {
  return tf.tidy(() => {
    const w = classWeights ? tf.gather(tf.tensor1d(Array.from(classWeights)), tf.cast(y, 'int32')) : tf.onesLike(tf.cast(y, 'float32'));
    const sum = tf.sum(w);
    return { w, norm: tf.where(tf.greater(sum, 0), sum, tf.onesLike(sum)) as tf.Scalar };
  });
}

function sliceRows<T extends tf.Tensor>(t: T, start: number, size: number): T {
  if (start === 0 && size === t.shape[0]) return t.clone();
  const begin = t.shape.map((_, i) => (i === 0 ? start : 0));
  const sizes = t.shape.map((d, i) => (i === 0 ? size : d));
  return tf.slice(t, begin, sizes);
}

/**
 * The micro-batches a batch of `batch` images is cut into: as few as a limit of `limit` images
 * allows, their sizes at most one apart. 32 with a limit of 27 is 16 + 16, not 27 + 5, so
 * BatchNorm never normalises a handful of images.
 */
export function microBatchSizes(limit: number, batch: number): number[] {
  const parts = Math.ceil(batch / Math.max(1, Math.min(limit, batch)));
  const size = Math.floor(batch / parts);
  return Array.from({ length: parts }, (_, i) => size + (i < batch % parts ? 1 : 0));
}

/** The largest micro-batch of a batch (see microBatchSizes). */
export function balancedMicroBatch(limit: number, batch: number): number {
  return microBatchSizes(limit, batch)[0] ?? 0;
}

/**
 * Gradients of one batch's loss, computed once for all trained variables. The batch is cut
 * into micro-batches of at most `microBatch` images, as equal as possible (balancedMicroBatch),
 * whose losses are divided by the full batch's weight sum, so the summed gradients equal the
 * full batch's (BatchNorm in training mode sees micro-batch statistics). With `targets`
 * (mixup, CutMix) the loss is the soft-target cross-entropy and a hit is the target's top class.
 */
export function batchGradients(m: StepModel, x: tf.Tensor4D, y: tf.Tensor1D, targets?: tf.Tensor2D): StepResult {
  const n = y.shape[0];
  // Weights stay on the device: reading the labels would cost a second read per step.
  const { w, norm } = targets ? { w: tf.ones<tf.Rank.R1>([n]), norm: softTargetNorm(targets, m.loss.classWeights) } : imageWeights(y, m.loss.classWeights);
  let acc: tf.NamedTensorMap | null = null;
  // Loss and hits stay on the device until the step ends: one read per step, not per micro-batch.
  const parts: tf.Scalar[] = [];
  let start = 0;
  for (const size of microBatchSizes(m.microBatch, n)) {
    const xs = sliceRows(x, start, size);
    const ys = sliceRows(y, start, size);
    const ws = sliceRows(w, start, size);
    const qs = targets ? sliceRows(targets, start, size) : undefined;
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = m.model.apply(xs, { training: m.training }) as tf.Tensor2D;
      const truth = qs ? tf.argMax(qs, -1) : tf.cast(ys, 'int32');
      hits = tf.keep(tf.sum<tf.Tensor>(tf.cast(tf.equal(tf.argMax(logits, -1), truth), 'float32'))) as tf.Scalar;
      if (qs) return tf.div<tf.Scalar>(tf.sum(softTargetCrossEntropy(logits, qs, m.loss.classWeights, m.loss.logitAdjustment)), norm);
      return weightedLossSum(logits, ys, ws, norm, m.loss);
    }, m.variables);
    tf.dispose([xs, ys, ws, ...(qs ? [qs] : [])]);
    start += size;
    parts.push(value, hits ?? tf.scalar(0));
    if (acc === null) {
      acc = grads;
    } else {
      for (const [name, g] of Object.entries(grads)) {
        const prev = acc[name];
        acc[name] = prev ? tf.add(prev, g) : g;
        if (prev) tf.dispose([prev, g]);
      }
    }
  }
  const totals = tf.tidy(() => tf.sum<tf.Tensor1D>(tf.reshape(tf.stack(parts), [-1, 2]), 0));
  tf.dispose([w, norm, ...parts]);
  return { grads: acc ?? {}, totals, count: n };
}

/** Loss (plain cross-entropy, no smoothing or weights) and correct count of one batch, inference mode; one read. */
export async function evaluateBatch(model: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, numClasses: number, microBatch: number): Promise<{ lossSum: number; correct: number; count: number }> {
  const n = y.shape[0];
  const micro = Math.max(1, Math.min(microBatch, n));
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < n; start += micro) {
    const size = Math.min(micro, n - start);
    const both = tf.tidy((): tf.Tensor => {
      const xs = sliceRows(x, start, size);
      const ys = tf.cast(sliceRows(y, start, size), 'int32');
      const logits = model.apply(xs, { training: false }) as tf.Tensor2D;
      const ce = perSampleCrossEntropy(logits, ys, { numClasses });
      return tf.stack([tf.sum(ce), tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'float32'))]);
    });
    parts.push(both);
  }
  const sums = tf.tidy(() => tf.sum(tf.stack(parts), 0));
  tf.dispose(parts);
  const { loss, correct } = await stepTotals(sums as tf.Tensor1D);
  return { lossSum: loss, correct, count: n };
}
