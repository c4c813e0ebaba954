import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';

/** How many of `labels` fall in each class 0..numClasses-1. */
export function classCounts(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) throw new TimError(`class counts: label ${l} outside 0..${numClasses - 1}`);
    counts[l] = (counts[l] ?? 0) + 1;
  }
  return counts;
}

/**
 * sklearn's compute_class_weight('balanced'): n_samples / (n_classes * count(class)).
 * Every class must occur, as sklearn requires.
 */
export function balancedClassWeights(labels: ArrayLike<number>, numClasses: number): number[] {
  const counts = classCounts(labels, numClasses);
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) throw new TimError(`train.class_weights: balanced needs every class in the training split; class ${empty} has no images`);
  return counts.map((c) => labels.length / (numClasses * c));
}

export interface LossOptions {
  numClasses: number;
  /** PyTorch's label_smoothing: targets (1 - s) * onehot + s / C. */
  labelSmoothing?: number;
  /** Weight of each class; a sample counts with the weight of its true class. */
  classWeights?: readonly number[];
  /** Added to every row of logits before the softmax (the logit-adjusted loss's tau·log prior, see logit-adjust.ts). */
  logitAdjustment?: readonly number[];
}

/**
 * Per-sample weights and their sum. The loss is sum(w_i * ce_i) / sum(w_i) over the whole
 * batch (PyTorch's weighted mean), so micro-batches divide by the full batch's sum.
 */
export function sampleWeights(labels: ArrayLike<number>, classWeights?: readonly number[]): Float32Array {
  const w = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) w[i] = classWeights ? (classWeights[labels[i] as number] ?? 0) : 1;
  return w;
}

/** log softmax(z + adjustment): the logit-adjusted loss's log-probabilities, or the plain ones. */
function adjustedLogSoftmax(logits: tf.Tensor2D, adjustment: readonly number[] | undefined): tf.Tensor2D {
  return tf.logSoftmax(adjustment ? tf.add<tf.Tensor2D>(logits, tf.tensor1d(Array.from(adjustment))) : logits);
}

/** Softmax cross-entropy of each sample, [B]. */
export function perSampleCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, opts: LossOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const c = opts.numClasses;
    const s = opts.labelSmoothing ?? 0;
    let target = tf.oneHot(tf.cast(labels, 'int32'), c).toFloat();
    if (s > 0) target = tf.add(tf.mul(target, 1 - s), s / c);
    return tf.neg(tf.sum(tf.mul(target, adjustedLogSoftmax(logits, opts.logitAdjustment)), -1)) as tf.Tensor1D;
  });
}

/** sum(w_i * ce_i) / normaliser, a scalar. */
export function weightedLossSum(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  weights: tf.Tensor1D,
  normaliser: number | tf.Scalar,
  opts: LossOptions,
): tf.Scalar {
  return tf.tidy(() => tf.div<tf.Scalar>(tf.sum(tf.mul(perSampleCrossEntropy(logits, labels, opts), weights)), normaliser));
}

/**
 * Soft-target cross-entropy of each sample, [B]: −Σ_c w_c·q_c·log softmax(z)_c, which is
 * PyTorch's `F.cross_entropy(z, q, weight=w, reduction='none')` with probability targets
 * (w = 1 without class weights). A batch's loss divides their sum by the batch's target weight,
 * softTargetNorm, so that one-hot targets give exactly the weighted mean of hard labels. The
 * logit-adjusted loss adds its tau·log prior to the logits here as it does for hard labels.
 */
export function softTargetCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, classWeights?: readonly number[], logitAdjustment?: readonly number[]): tf.Tensor1D {
  return tf.tidy(() => {
    const q = classWeights ? tf.mul(targets, tf.tensor1d(Array.from(classWeights))) : targets;
    return tf.neg(tf.sum(tf.mul(q, adjustedLogSoftmax(logits, logitAdjustment)), -1)) as tf.Tensor1D;
  });
}

/** Σ_i Σ_c w_c·q_ic, the soft batch's weight (its size without class weights); 1 where it is 0. */
export function softTargetNorm(targets: tf.Tensor2D, classWeights?: readonly number[]): tf.Scalar {
  return tf.tidy(() => {
    const sum = classWeights ? tf.sum(tf.mul(targets, tf.tensor1d(Array.from(classWeights)))) : tf.scalar(targets.shape[0]);
    return tf.where(tf.greater(sum, 0), sum, tf.onesLike(sum)) as tf.Scalar;
  });
}
