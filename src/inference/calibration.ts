import { calibrationFile, RUN_FILES, type RunCalibration, type RunFolder } from '../io/run-folder';

/** What a run's calibration.json gives inference: the temperature and the unknown-artist threshold. */
export type { RunCalibration } from '../io/run-folder';

/**
 * The run's calibration, or undefined for a run evaluated before calibration existed (its
 * probabilities are then the raw softmax, and the caller says so).
 */
export function readRunCalibration(folder: RunFolder): RunCalibration | undefined {
  return folder.readIfPresent(calibrationFile);
}

/** How confident the answer for one image is, as predict's JSON reports it. */
export interface Confidence {
  /** The temperature the shown probabilities were divided by (1: the raw softmax). */
  temperature: number;
  /** Whether the shown probabilities are calibrated ones. */
  calibrated: boolean;
  /** The calibrated top probability: the unknown-artist score. */
  score: number;
  /** The energy score −T·log Σ exp(z/T) (lower: more like the training images). */
  energy: number;
  /** The threshold on `score`, when the run has one. */
  threshold?: number;
  /** 'artist' at or above the threshold, 'not_confident' below it, 'no_threshold' without calibration.json. */
  decision: 'artist' | 'not_confident' | 'no_threshold';
}

/** softmax(z / T) of one row of logits, in float64. */
export function scaledSoftmax(logits: ArrayLike<number>, temperature: number): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, (logits[j] as number) / temperature);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let j = 0; j < logits.length; j++) sum += out[j] = Math.exp((logits[j] as number) / temperature - max);
  for (let j = 0; j < logits.length; j++) out[j] = (out[j] as number) / sum;
  return out;
}

/**
 * The probabilities to show for one image's logits and the unknown-artist verdict. The verdict
 * always uses the calibrated score; `uncalibrated` only changes which probabilities are shown.
 */
export function judgeLogits(logits: ArrayLike<number>, calibration: RunCalibration | undefined, uncalibrated = false): { probs: Float64Array; confidence: Confidence } {
  const t = calibration?.temperature ?? 1;
  const calibrated = scaledSoftmax(logits, t);
  let max = -Infinity;
  for (let j = 0; j < logits.length; j++) max = Math.max(max, (logits[j] as number) / t);
  let sum = 0;
  for (let j = 0; j < logits.length; j++) sum += Math.exp((logits[j] as number) / t - max);
  const energy = -t * (max + Math.log(sum));
  const score = Math.max(...calibrated);
  const threshold = calibration?.unknown.threshold;
  const decision = threshold === undefined ? 'no_threshold' : score >= threshold ? 'artist' : 'not_confident';
  const showRaw = uncalibrated || !calibration;
  return {
    probs: showRaw && t !== 1 ? scaledSoftmax(logits, 1) : calibrated,
    confidence: { temperature: showRaw ? 1 : t, calibrated: !showRaw, score, energy, ...(threshold === undefined ? {} : { threshold }), decision },
  };
}

/** What a run without calibration.json shows, in a line for people (JSON says it with `calibrated: false`). */
export function uncalibratedNote(folder: RunFolder): string {
  return `(${folder.dir} has no ${RUN_FILES.calibration}: these are the raw softmax, not calibrated, and there is no unknown-artist threshold; 'tim evaluate' makes one)`;
}

/** "not confidently one of the 31 artists (closest: Claude Monet, 41.2%)". */
export function notConfidentLine(artists: number, closest: string, percentText: string): string {
  return `not confidently one of the ${artists} artists (closest: ${closest}, ${percentText})`;
}
