import { TimError } from '../core/errors';

/**
 * Classification metrics over integer labels `0..K-1`, computed the way scikit-learn 1.2 does
 * with `labels=range(K)` and the default `zero_division` ("warn", which scores 0):
 * - a class never predicted has precision 0; a class never present has recall 0;
 * - F1 is `2·p·r / (p + r)`, and 0 when `p + r` is 0;
 * - 'macro' averages over all K classes, including those never present or never predicted;
 * - 'weighted' averages by support (true count), so absent classes weigh nothing.
 */

export interface PerClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples whose true label is this class. */
  support: number;
  /** Number of samples predicted as this class. */
  predicted: number;
}

export interface AveragedMetrics {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  weighted: AveragedMetrics;
  macro: AveragedMetrics;
  perClass: PerClassMetrics[];
  confusion: number[][];
}

function checkLabels(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): void {
  if (yTrue.length !== yPred.length) {
    throw new TimError(`metrics: ${yTrue.length} true labels but ${yPred.length} predictions`);
  }
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new TimError(`metrics: numClasses must be a positive integer, got ${numClasses}`);
  for (let i = 0; i < yTrue.length; i++) {
    for (const v of [yTrue[i], yPred[i]]) {
      if (v === undefined || !Number.isInteger(v) || v < 0 || v >= numClasses) {
        throw new TimError(`metrics: label ${String(v)} at index ${i} is not in 0..${numClasses - 1}`);
      }
    }
  }
}

/** Rows are true classes, columns predicted classes (scikit-learn's layout). */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkLabels(yTrue, yPred, numClasses);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    (m[yTrue[i] as number] as number[])[yPred[i] as number]! += 1;
  }
  return m;
}

/** Fraction of correct predictions; 0 for an empty set. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  if (yTrue.length !== yPred.length) throw new TimError(`accuracy: ${yTrue.length} true labels but ${yPred.length} predictions`);
  if (yTrue.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/**
 * Balanced accuracy as scikit-learn's balanced_accuracy_score: the mean recall over the classes
 * present in the true labels (unlike macro recall with labels=range(K), which counts absent
 * classes as 0); 0 for an empty set.
 */
export function balancedAccuracy(confusion: number[][]): number {
  let sum = 0;
  let present = 0;
  confusion.forEach((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    if (support === 0) return;
    sum += (row[c] ?? 0) / support;
    present++;
  });
  return present === 0 ? 0 : sum / present;
}

/** Per-class precision, recall, F1 and support from a confusion matrix. */
export function perClassFromConfusion(confusion: number[][]): PerClassMetrics[] {
  const k = confusion.length;
  const predicted = new Array<number>(k).fill(0);
  for (const row of confusion) for (let j = 0; j < k; j++) predicted[j]! += row[j] ?? 0;
  return confusion.map((row, c) => {
    const tp = row[c] ?? 0;
    const support = row.reduce((a, b) => a + b, 0);
    const pred = predicted[c] ?? 0;
    const precision = pred === 0 ? 0 : tp / pred;
    const recall = support === 0 ? 0 : tp / support;
    const denom = precision + recall;
    const f1 = denom === 0 ? 0 : (2 * precision * recall) / denom;
    return { precision, recall, f1, support, predicted: pred };
  });
}

/** Unweighted mean over all classes. */
export function macroAverage(perClass: PerClassMetrics[]): AveragedMetrics {
  const k = perClass.length;
  if (k === 0) return { precision: 0, recall: 0, f1: 0 };
  let p = 0;
  let r = 0;
  let f = 0;
  for (const c of perClass) {
    p += c.precision;
    r += c.recall;
    f += c.f1;
  }
  return { precision: p / k, recall: r / k, f1: f / k };
}

/** Mean weighted by support; 0 when there are no samples (scikit-learn's zero_division). */
export function weightedAverage(perClass: PerClassMetrics[]): AveragedMetrics {
  const total = perClass.reduce((a, c) => a + c.support, 0);
  if (total === 0) return { precision: 0, recall: 0, f1: 0 };
  let p = 0;
  let r = 0;
  let f = 0;
  for (const c of perClass) {
    p += c.precision * c.support;
    r += c.recall * c.support;
    f += c.f1 * c.support;
  }
  return { precision: p / total, recall: r / total, f1: f / total };
}

/** Accuracy, per-class and averaged precision/recall/F1, and the confusion matrix. */
export function classificationMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): ClassificationMetrics {
  const confusion = confusionMatrix(yTrue, yPred, numClasses);
  const perClass = perClassFromConfusion(confusion);
  return {
    accuracy: accuracy(yTrue, yPred),
    weighted: weightedAverage(perClass),
    macro: macroAverage(perClass),
    perClass,
    confusion,
  };
}

/** Class indices of `row` sorted by descending probability; ties keep the lower index first. */
export function rankClasses(row: ArrayLike<number>): number[] {
  const idx = Array.from({ length: row.length }, (_, i) => i);
  return idx.sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
}

/**
 * Fraction of samples whose true class is among the `k` highest scores. Ties at the k-th score
 * resolve towards the lower class index (scikit-learn's argsort is stable in the same way only
 * by accident, so test data avoids ties).
 */
export function topKAccuracy(yTrue: ArrayLike<number>, scores: ArrayLike<number>[], k: number): number {
  if (yTrue.length !== scores.length) throw new TimError(`topKAccuracy: ${yTrue.length} labels but ${scores.length} score rows`);
  if (yTrue.length === 0) return 0;
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const row = scores[i] as ArrayLike<number>;
    const t = yTrue[i] as number;
    const score = row[t] as number;
    // The true class is in the top k when fewer than k classes beat it (ties to lower index).
    let better = 0;
    for (let c = 0; c < row.length; c++) {
      const s = row[c] as number;
      if (s > score || (s === score && c < t)) better++;
    }
    if (better < k) hits++;
  }
  return hits / yTrue.length;
}

/** Number of equal-width confidence bins used by {@link expectedCalibrationError}. */
export const ECE_BINS = 15;

/**
 * Expected calibration error (Guo et al. 2017): the confidence (top probability) range [0, 1]
 * is cut into `bins` equal-width bins, (lo, hi] each with the first also taking 0; ECE is the
 * sample-weighted mean over non-empty bins of |accuracy − mean confidence|.
 */
export function expectedCalibrationError(yTrue: ArrayLike<number>, probs: ArrayLike<number>[], bins = ECE_BINS): number {
  if (yTrue.length !== probs.length) throw new TimError(`expectedCalibrationError: ${yTrue.length} labels but ${probs.length} probability rows`);
  const n = yTrue.length;
  if (n === 0) return 0;
  const count = new Array<number>(bins).fill(0);
  const confSum = new Array<number>(bins).fill(0);
  const correctSum = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const row = probs[i] as ArrayLike<number>;
    const pred = rankClasses(row)[0] as number;
    const conf = row[pred] as number;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
    count[b]! += 1;
    confSum[b]! += conf;
    if (pred === yTrue[i]) correctSum[b]! += 1;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) {
    const c = count[b] as number;
    if (c === 0) continue;
    ece += (c / n) * Math.abs((correctSum[b] as number) / c - (confSum[b] as number) / c);
  }
  return ece;
}
