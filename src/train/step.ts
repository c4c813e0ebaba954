import * as tf from '@tensorflow/tfjs';
import { installLeanBackprop } from '../runtime/lean-backprop';
import { type LossOptions, perSampleCrossEntropy, sampleWeights, weightedLossSum } from './loss';

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
  /** The batch's loss (weighted mean over its images). */
  loss: number;
  correct: number;
  count: number;
}

function sliceRows<T extends tf.Tensor>(t: T, start: number, size: number): T {
  if (start === 0 && size === t.shape[0]) return t.clone();
  const begin = t.shape.map((_, i) => (i === 0 ? start : 0));
  const sizes = t.shape.map((d, i) => (i === 0 ? size : d));
  return tf.slice(t, begin, sizes);
}

/**
 * Gradients of one batch's loss, computed once for all trained variables. The batch is cut
 * into micro-batches whose losses are divided by the full batch's weight sum, so the summed
 * gradients equal the full batch's (BatchNorm in training mode sees micro-batch statistics).
 */
export function batchGradients(m: StepModel, x: tf.Tensor4D, y: tf.Tensor1D): StepResult {
  installLeanBackprop();
  const n = y.shape[0];
  const labels = y.dataSync();
  const w = sampleWeights(labels, m.loss.classWeights);
  const norm = w.reduce((a, b) => a + b, 0) || 1;
  const micro = Math.max(1, Math.min(m.microBatch, n));
  let acc: tf.NamedTensorMap | null = null;
  // Loss and hits stay on the device until the step ends: one read per step, not per micro-batch.
  const parts: tf.Scalar[] = [];
  for (let start = 0; start < n; start += micro) {
    const size = Math.min(micro, n - start);
    const xs = sliceRows(x, start, size);
    const ys = sliceRows(y, start, size);
    const ws = tf.tensor1d(w.subarray(start, start + size));
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const logits = m.model.apply(xs, { training: m.training }) as tf.Tensor2D;
      hits = tf.keep(tf.sum<tf.Tensor>(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(ys, 'int32')), 'float32'))) as tf.Scalar;
      return weightedLossSum(logits, ys, ws, norm, m.loss);
    }, m.variables);
    tf.dispose([xs, ys, ws]);
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
  const totals = tf.tidy(() => tf.sum(tf.reshape(tf.stack(parts), [-1, 2]), 0));
  const [loss, correct] = totals.dataSync();
  tf.dispose([totals, ...parts]);
  return { grads: acc ?? {}, loss: loss ?? NaN, correct: correct ?? 0, count: n };
}

/** Loss (plain cross-entropy, no smoothing or weights) and correct count of one batch, inference mode. */
export function evaluateBatch(model: tf.LayersModel, x: tf.Tensor4D, y: tf.Tensor1D, numClasses: number, microBatch: number): { lossSum: number; correct: number; count: number } {
  const n = y.shape[0];
  const micro = Math.max(1, Math.min(microBatch, n));
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += micro) {
    const size = Math.min(micro, n - start);
    const both = tf.tidy((): tf.Tensor => {
      const xs = sliceRows(x, start, size);
      const ys = tf.cast(sliceRows(y, start, size), 'int32');
      const logits = model.apply(xs, { training: false }) as tf.Tensor2D;
      const ce = perSampleCrossEntropy(logits, ys, { numClasses });
      return tf.stack([tf.sum(ce), tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), ys), 'float32'))]);
    });
    const [l, c] = both.dataSync();
    both.dispose();
    lossSum += l ?? NaN;
    correct += c ?? 0;
  }
  return { lossSum, correct, count: n };
}
