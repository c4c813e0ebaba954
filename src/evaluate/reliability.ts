import { ECE_BINS } from './metrics';

/**
 * A reliability diagram's data: the confidence range cut into equal-width bins as the ECE cuts
 * it ((lo, hi], the first also taking 0), with each bin's mean confidence and accuracy.
 */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean top probability of the images in the bin (0 when empty). */
  confidence: number;
  /** Share of them whose top class is right (0 when empty). */
  accuracy: number;
}

export function reliabilityBins(confidence: ArrayLike<number>, correct: readonly boolean[], bins = ECE_BINS): ReliabilityBin[] {
  const out = Array.from({ length: bins }, (_, b) => ({ lo: b / bins, hi: (b + 1) / bins, count: 0, confidence: 0, accuracy: 0 }));
  for (let i = 0; i < confidence.length; i++) {
    const c = confidence[i] as number;
    const bin = out[Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1))] as ReliabilityBin;
    bin.count++;
    bin.confidence += c;
    if (correct[i]) bin.accuracy++;
  }
  for (const bin of out) {
    if (bin.count === 0) continue;
    bin.confidence /= bin.count;
    bin.accuracy /= bin.count;
  }
  return out;
}
