import { TimError } from '../core/errors';
import { classCounts } from './loss';

/**
 * Logit adjustment for imbalanced classes (Menon et al. 2021, "Long-tail learning via logit
 * adjustment"). Its loss trains on logits + tau·log(pi), pi the training split's class priors,
 * so the model's own logits come out balanced; its post-hoc form predicts
 * argmax(logits − tau·log(pi)) from a model trained without it.
 */

/**
 * Each class's share of the training labels. A class without training images has prior 0,
 * whose log is −∞: refused, naming the class. `what` says who asks (a config key or a flag).
 */
export function classPriors(labels: ArrayLike<number>, classes: readonly string[], what: string): number[] {
  const counts = classCounts(labels, classes.length);
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) throw new TimError(`${what}: needs every class in the training split; '${classes[empty] ?? empty}' has no training images`);
  return counts.map((c) => c / labels.length);
}

/** tau·log(pi_k): what the logit-adjusted loss adds to each row of logits. */
export function logitAdjustment(priors: readonly number[], tau: number): number[] {
  return priors.map((p) => tau * Math.log(p));
}

/**
 * The post-hoc adjustment of a row-major n×K matrix of softmax probabilities:
 * softmax(logits − tau·log pi), computed from softmax(logits) as p_k·pi_k^(−tau), renormalised
 * (the two are equal, since the softmax's normaliser cancels). In float64, from the logs, so a
 * large tau neither overflows nor underflows; with flip TTA it adjusts the averaged probabilities.
 */
export function adjustProbabilities(probs: Float32Array, priors: readonly number[], tau: number): Float32Array {
  const k = priors.length;
  if (k === 0 || probs.length % k !== 0) throw new TimError(`logit adjustment: ${probs.length} probabilities are not rows of ${k} classes`);
  const shift = priors.map((p) => -tau * Math.log(p));
  const out = new Float32Array(probs.length);
  const scores = new Float64Array(k);
  for (let row = 0; row < probs.length; row += k) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const s = Math.log(probs[row + c] as number) + (shift[c] as number);
      scores[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp((scores[c] as number) - max);
    for (let c = 0; c < k; c++) out[row + c] = Math.exp((scores[c] as number) - max) / sum;
  }
  return out;
}
