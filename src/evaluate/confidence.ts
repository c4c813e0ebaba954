import { bootstrapStatistic, bootstrapTwoSamples, type BootstrapInterval } from './bootstrap';
import { brierScore, crossFitTemperature, energyScores, fitTemperature, negativeLogLikelihood, rowsOf, softmaxWithTemperature, stratifiedHalves, type CalibrationScores } from './calibration';
import { ECE_BINS, expectedCalibrationError, rankClasses } from './metrics';
import { reliabilityBins, type ReliabilityBin } from './reliability';
import { keepThreshold, rejectedShare, rocAuc, topProbabilities } from './unknown';
import type { CalibrationSection, DetectionSection, Estimate, UnknownSection } from '../io/run-folder';

/**
 * The "honest confidence" sections of metrics.json: calibration before and after temperature
 * scaling (the "after" figures cross-fitted), the unknown-artist threshold, and, given images
 * of other artists, how well the score tells them apart. Every figure has a bootstrap interval.
 */

/** The sections as metrics.json records them. */
export type { CalibrationSection, DetectionSection, Estimate, UnknownSection } from '../io/run-folder';

export interface ConfidenceOptions {
  resamples: number;
  seed: number;
  keep: number;
}

function estimate(value: number, b: BootstrapInterval): Estimate {
  return { value, lo: b.lo, hi: b.hi };
}

function pickRows(values: ArrayLike<number>, k: number, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length * k);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r] as number;
    for (let j = 0; j < k; j++) out[r * k + j] = values[i * k + j] as number;
  }
  return out;
}

function pickValues(values: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: idx.length }, (_, r) => values[idx[r] as number] as number);
}

/** ECE, NLL and Brier score with bootstrap intervals over the images. */
function scoresWithIntervals(labels: readonly number[], probs: Float64Array, k: number, opts: ConfidenceOptions): Record<keyof CalibrationScores, Estimate> {
  const all = Array.from(labels.keys());
  const fns: Record<keyof CalibrationScores, (idx: ArrayLike<number>) => number> = {
    ece: (idx) => expectedCalibrationError(pickValues(labels, idx), rowsOf(pickRows(probs, k, idx), k)),
    nll: (idx) => negativeLogLikelihood(pickValues(labels, idx), pickRows(probs, k, idx), k),
    brier: (idx) => brierScore(pickValues(labels, idx), pickRows(probs, k, idx), k),
  };
  const out = {} as Record<keyof CalibrationScores, Estimate>;
  for (const key of ['ece', 'nll', 'brier'] as const) {
    out[key] = estimate(fns[key](all), bootstrapStatistic(labels.length, fns[key], { resamples: opts.resamples, seed: opts.seed }));
  }
  return out;
}

/** Whether each image's top class is its label. */
function correctness(labels: readonly number[], probs: Float64Array, k: number): boolean[] {
  return labels.map((y, i) => rankClasses(probs.subarray(i * k, (i + 1) * k))[0] === y);
}

/** Calibration before and after temperature scaling, from held-out logits. */
export function calibrationSection(labels: readonly number[], logits: Float32Array, k: number, opts: ConfidenceOptions): CalibrationSection {
  const raw = softmaxWithTemperature(logits, k, 1);
  const cross = crossFitTemperature(logits, labels, k, opts.seed);
  const rel = (probs: Float64Array): ReliabilityBin[] => reliabilityBins(topProbabilities(probs, k), correctness(labels, probs, k), ECE_BINS);
  return {
    temperature: fitTemperature(logits, labels, k),
    ece_bins: ECE_BINS,
    cross_fit: { seed: opts.seed, temperatures: cross.temperatures },
    before: scoresWithIntervals(labels, raw, k, opts),
    after: scoresWithIntervals(labels, cross.probs, k, opts),
    reliability: { before: rel(raw), after: rel(cross.probs) },
  };
}

/**
 * The threshold on the calibrated top probability that keeps `keep` of the known artists'
 * images, and the rejection rate it really has on images it was not chosen on: each half's
 * temperature and threshold are applied to the other half.
 */
export function unknownSection(labels: readonly number[], logits: Float32Array, k: number, temperature: number, opts: ConfidenceOptions): UnknownSection {
  const scores = topProbabilities(softmaxWithTemperature(logits, k, temperature), k);
  const halves = stratifiedHalves(labels, opts.seed);
  const crossRejected = new Float64Array(labels.length);
  for (const h of [0, 1]) {
    const fitIdx = labels.map((_, i) => i).filter((i) => halves[i] === h);
    const testIdx = labels.map((_, i) => i).filter((i) => halves[i] !== h);
    if (fitIdx.length === 0 || testIdx.length === 0) continue;
    const t = fitTemperature(pickRows(logits, k, fitIdx), fitIdx.map((i) => labels[i] as number), k);
    const threshold = keepThreshold(topProbabilities(softmaxWithTemperature(pickRows(logits, k, fitIdx), k, t), k), opts.keep);
    const testScores = topProbabilities(softmaxWithTemperature(pickRows(logits, k, testIdx), k, t), k);
    testIdx.forEach((i, r) => (crossRejected[i] = (testScores[r] as number) < threshold ? 1 : 0));
  }
  const mean = (idx: ArrayLike<number>): number => {
    let s = 0;
    for (let r = 0; r < idx.length; r++) s += crossRejected[idx[r] as number] as number;
    return s / Math.max(1, idx.length);
  };
  return {
    score: 'calibrated_top_probability',
    keep: opts.keep,
    threshold: keepThreshold(scores, opts.keep),
    known_rejection_rate: estimate(mean(Array.from(labels.keys())), bootstrapStatistic(labels.length, mean, { resamples: opts.resamples, seed: opts.seed })),
  };
}

/** Calibrated top probability and minus the energy score (both higher for known artists). */
export function knownScores(logits: Float32Array, k: number, temperature: number): { top: Float64Array; negEnergy: Float64Array } {
  return {
    top: topProbabilities(softmaxWithTemperature(logits, k, temperature), k),
    negEnergy: energyScores(logits, k, temperature).map((e) => -e),
  };
}

/**
 * How well the scores tell the known artists' images from other artists' ones. The bootstrap
 * resamples each group on its own (the two are separate samples), from one seeded stream.
 */
export function detectionSection(
  known: { top: Float64Array; negEnergy: Float64Array },
  unknown: { top: Float64Array; negEnergy: Float64Array },
  threshold: number,
  source: string,
  opts: ConfidenceOptions,
): DetectionSection {
  const nk = known.top.length;
  const nu = unknown.top.length;
  const both = (stat: (k: Float64Array, u: Float64Array) => number, which: 'top' | 'negEnergy'): Estimate => {
    const b = bootstrapTwoSamples(nk, nu, (kIdx, uIdx) => stat(pickValues(known[which], kIdx), pickValues(unknown[which], uIdx)), {
      resamples: opts.resamples,
      seed: opts.seed,
    });
    return estimate(stat(known[which], unknown[which]), b);
  };
  return {
    source,
    unknown_images: nu,
    known_images: nk,
    auroc: both(rocAuc, 'top'),
    auroc_energy: both(rocAuc, 'negEnergy'),
    false_acceptance_rate: both((_k, u) => 1 - rejectedShare(u, threshold), 'top'),
  };
}
