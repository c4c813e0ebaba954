import { TimError } from '../core/errors';

/**
 * "Not one of my artists": a score per image (higher: more like the known artists) and a
 * threshold below which the answer is "not confidently one of the N artists".
 */

/** Default share of the known artists' held-out images kept above the threshold. */
export const DEFAULT_KEEP = 0.95;

/** The top probability of each row of a row-major n×K matrix. */
export function topProbabilities(probs: ArrayLike<number>, k: number): Float64Array {
  const n = probs.length / k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    for (let j = 0; j < k; j++) best = Math.max(best, probs[i * k + j] as number);
    out[i] = best;
  }
  return out;
}

/**
 * The largest threshold that keeps at least `keep` of the scores (score ≥ threshold): the
 * score at position ⌊(1 − keep)·n⌋ of the ascending order.
 */
export function keepThreshold(scores: ArrayLike<number>, keep: number): number {
  if (!(keep > 0 && keep <= 1)) throw new TimError(`unknown-artist threshold: the share to keep must be in (0, 1], got ${keep}`);
  if (scores.length === 0) throw new TimError('unknown-artist threshold: no known-artist images to choose it on');
  const sorted = Array.from(scores).sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.floor((1 - keep) * sorted.length + 1e-9));
  return sorted[at] as number;
}

/** Share of the scores below the threshold (the images answered "not confidently one of them"). */
export function rejectedShare(scores: ArrayLike<number>, threshold: number): number {
  if (scores.length === 0) return 0;
  let below = 0;
  for (let i = 0; i < scores.length; i++) if ((scores[i] as number) < threshold) below++;
  return below / scores.length;
}

/**
 * Area under the ROC curve of telling `positive` scores (known artists) from `negative` ones
 * (others): the probability that a random positive scores above a random negative, ties
 * counting one half (the Mann–Whitney statistic, as scikit-learn's `roc_auc_score`).
 */
export function rocAuc(positive: ArrayLike<number>, negative: ArrayLike<number>): number {
  const np = positive.length;
  const nn = negative.length;
  if (np === 0 || nn === 0) throw new TimError(`AUROC needs scores of both groups (got ${np} known and ${nn} unknown)`);
  const all = [
    ...Array.from(positive, (v) => ({ v, pos: true })),
    ...Array.from(negative, (v) => ({ v, pos: false })),
  ].sort((a, b) => a.v - b.v);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && (all[j] as { v: number }).v === (all[i] as { v: number }).v) j++;
    // Tied scores share the mean of their 1-based ranks.
    const midRank = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) if ((all[t] as { pos: boolean }).pos) rankSum += midRank;
    i = j;
  }
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}
