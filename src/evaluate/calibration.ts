import { TimError } from '../core/errors';
import { seededShuffle } from '../data/split';
import { expectedCalibrationError } from './metrics';

/**
 * Temperature scaling (Guo et al. 2017) and the proper scoring rules that measure it. Logits
 * are row-major n×K; one temperature T divides every logit before the softmax, which changes
 * how sure the model says it is and never which class it picks.
 */

/**
 * The range T is searched in. Held-out images all right by a wide margin have no finite best
 * T (the NLL keeps falling as T → 0); the bounds keep such a T usable rather than 0 or ∞.
 */
export const TEMPERATURE_RANGE = { min: 0.05, max: 20 } as const;

function checkLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new TimError(`calibration: expected at least 2 classes, got ${k}`);
  if (logits.length !== labels.length * k) throw new TimError(`calibration: ${logits.length} logits for ${labels.length} images of ${k} classes`);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= k) throw new TimError(`calibration: label ${y} at index ${i} is not in 0..${k - 1}`);
  }
}

/** log Σ exp(s·z_j) over one row, computed without overflow. */
function logSumExpScaled(logits: ArrayLike<number>, offset: number, k: number, s: number): number {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, s * (logits[offset + j] as number));
  let sum = 0;
  for (let j = 0; j < k; j++) sum += Math.exp(s * (logits[offset + j] as number) - max);
  return max + Math.log(sum);
}

/** Row-major softmax(z / T) in float64. */
export function softmaxWithTemperature(logits: ArrayLike<number>, k: number, temperature: number): Float64Array {
  const n = logits.length / k;
  const out = new Float64Array(logits.length);
  const s = 1 / temperature;
  for (let i = 0; i < n; i++) {
    const lse = logSumExpScaled(logits, i * k, k, s);
    for (let j = 0; j < k; j++) out[i * k + j] = Math.exp(s * (logits[i * k + j] as number) - lse);
  }
  return out;
}

/** The energy score −T·log Σ exp(z/T) of each row: lower for inputs like the training images. */
export function energyScores(logits: ArrayLike<number>, k: number, temperature: number): Float64Array {
  const n = logits.length / k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = -temperature * logSumExpScaled(logits, i * k, k, 1 / temperature);
  return out;
}

/**
 * Mean NLL of the labels under softmax(s·z) with its first and second derivatives in s = 1/T.
 * In s the NLL is convex (a log-sum-exp of lines minus a line): its derivative is the mean of
 * E_p[z] − z_y and its second derivative the mean variance of z under p.
 */
function nllInScale(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number, s: number): { f: number; d1: number; d2: number } {
  const n = labels.length;
  let f = 0;
  let d1 = 0;
  let d2 = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    const lse = logSumExpScaled(logits, o, k, s);
    let mean = 0;
    let sq = 0;
    for (let j = 0; j < k; j++) {
      const z = logits[o + j] as number;
      const p = Math.exp(s * z - lse);
      mean += p * z;
      sq += p * z * z;
    }
    const zy = logits[o + (labels[i] as number)] as number;
    f += lse - s * zy;
    d1 += mean - zy;
    d2 += Math.max(0, sq - mean * mean);
  }
  return { f: f / n, d1: d1 / n, d2: d2 / n };
}

/** Mean negative log-likelihood of the labels under softmax(z / T), from the logits. */
export function temperatureNll(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number, temperature: number): number {
  checkLogits(logits, labels, k);
  if (labels.length === 0) return 0;
  return nllInScale(logits, labels, k, 1 / temperature).f;
}

/**
 * The temperature minimising the mean NLL of the labels. The NLL is convex in s = 1/T, so its
 * derivative is increasing: safeguarded Newton steps inside a shrinking bracket find its root,
 * or the end of {@link TEMPERATURE_RANGE} where it has none (every image right by a wide
 * margin pushes T towards 0; labels unrelated to the logits push it to infinity).
 */
export function fitTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  checkLogits(logits, labels, k);
  if (labels.length === 0) throw new TimError('calibration: no images to fit a temperature on');
  let lo = 1 / TEMPERATURE_RANGE.max;
  let hi = 1 / TEMPERATURE_RANGE.min;
  if (nllInScale(logits, labels, k, lo).d1 >= 0) return 1 / lo;
  if (nllInScale(logits, labels, k, hi).d1 <= 0) return 1 / hi;
  let s = 1;
  for (let iter = 0; iter < 200 && hi - lo > 1e-14 * hi; iter++) {
    const { d1, d2 } = nllInScale(logits, labels, k, s);
    if (d1 === 0) return 1 / s;
    if (d1 > 0) hi = s;
    else lo = s;
    const newton = d2 > 0 ? s - d1 / d2 : NaN;
    const next = newton > lo && newton < hi ? newton : (lo + hi) / 2;
    if (Math.abs(next - s) <= 1e-15 * s) break;
    s = next;
  }
  return 1 / s;
}

/**
 * Mean negative log-likelihood of the labels under row-major probabilities, each clipped to
 * [ε, 1 − ε] (ε the float64 machine epsilon) and rows renormalised, as scikit-learn 1.2's
 * `log_loss` does with its default `eps='auto'`.
 */
export function negativeLogLikelihood(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number): number {
  const n = labels.length;
  if (probs.length !== n * k) throw new TimError(`negativeLogLikelihood: ${probs.length} probabilities for ${n} images of ${k} classes`);
  if (n === 0) return 0;
  const eps = Number.EPSILON;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.min(1 - eps, Math.max(eps, probs[i * k + j] as number));
    const py = Math.min(1 - eps, Math.max(eps, probs[i * k + (labels[i] as number)] as number));
    total -= Math.log(py / sum);
  }
  return total / n;
}

/** Multi-class Brier score: the mean over images of Σ_k (p_k − [k = y])². */
export function brierScore(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number): number {
  const n = labels.length;
  if (probs.length !== n * k) throw new TimError(`brierScore: ${probs.length} probabilities for ${n} images of ${k} classes`);
  if (n === 0) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const d = (probs[i * k + j] as number) - (j === labels[i] ? 1 : 0);
      total += d * d;
    }
  }
  return total / n;
}

/** The rows of a row-major matrix. */
export function rowsOf(values: ArrayLike<number>, k: number): ArrayLike<number>[] {
  const out: ArrayLike<number>[] = [];
  const arr = values instanceof Float64Array || values instanceof Float32Array ? values : Float64Array.from(values);
  for (let i = 0; i * k < arr.length; i++) out.push(arr.subarray(i * k, (i + 1) * k));
  return out;
}

/** ECE, NLL and Brier score of one set of probabilities. */
export interface CalibrationScores {
  ece: number;
  nll: number;
  brier: number;
}

export function calibrationScores(labels: ArrayLike<number>, probs: ArrayLike<number>, k: number): CalibrationScores {
  return {
    ece: expectedCalibrationError(labels, rowsOf(probs, k)),
    nll: negativeLogLikelihood(labels, probs, k),
    brier: brierScore(labels, probs, k),
  };
}

/**
 * Two stratified, seeded halves of the images: each class's indices are shuffled and dealt
 * alternately, each class starting where the previous one stopped, so the halves differ by
 * at most one image overall and per class. Returns the half (0 or 1) of every image.
 */
export function stratifiedHalves(labels: ArrayLike<number>, seed: number): Uint8Array {
  const half = new Uint8Array(labels.length);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const list = byClass.get(y) ?? [];
    list.push(i);
    byClass.set(y, list);
  }
  let dealt = 0;
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const i of seededShuffle(byClass.get(y) ?? [], `${seed}:calibration-halves:${y}`)) half[i] = dealt++ % 2;
  }
  return half;
}

function pick(values: ArrayLike<number>, k: number, indices: readonly number[]): Float64Array {
  const out = new Float64Array(indices.length * k);
  indices.forEach((i, r) => {
    for (let j = 0; j < k; j++) out[r * k + j] = values[i * k + j] as number;
  });
  return out;
}

/** What cross-fitting gives: each image's probabilities under the T fitted on the other half. */
export interface CrossFit {
  /** The temperature fitted on each half. */
  temperatures: [number, number];
  /** Which half each image is in. */
  halves: Uint8Array;
  /** Row-major probabilities of every image under the other half's temperature. */
  probs: Float64Array;
}

/**
 * Cross-fitted temperature scaling: T is fitted on one stratified half and applied to the
 * other, both ways round, so no image's calibrated probabilities come from a T fitted on it.
 */
export function crossFitTemperature(logits: ArrayLike<number>, labels: ArrayLike<number>, k: number, seed: number): CrossFit {
  checkLogits(logits, labels, k);
  const halves = stratifiedHalves(labels, seed);
  const members: [number[], number[]] = [[], []];
  for (let i = 0; i < labels.length; i++) members[halves[i] as 0 | 1].push(i);
  if (members[0].length === 0 || members[1].length === 0) throw new TimError(`calibration: cross-fitting needs at least 2 held-out images, got ${labels.length}`);
  const temperatures = members.map((idx) =>
    fitTemperature(
      pick(logits, k, idx),
      idx.map((i) => labels[i] as number),
      k,
    ),
  ) as [number, number];
  const probs = new Float64Array(labels.length * k);
  members.forEach((idx, h) => {
    const other = temperatures[1 - h] as number;
    const p = softmaxWithTemperature(pick(logits, k, idx), k, other);
    idx.forEach((i, r) => probs.set(p.subarray(r * k, (r + 1) * k), i * k));
  });
  return { temperatures, halves, probs };
}
