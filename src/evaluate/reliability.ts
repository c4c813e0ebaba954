import { ECE_BINS } from './metrics';
import { calibrationSectionSchema, type ReliabilityBin } from '../io/run-folder';

export type { ReliabilityBin } from '../io/run-folder';

/**
 * A reliability diagram's data: the confidence range cut into equal-width bins as the ECE cuts
 * it ((lo, hi], the first also taking 0), with each bin's mean confidence and accuracy.
 */
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

/**
 * A reliability diagram as SVG: for each non-empty bin, a bar of its accuracy at its mean
 * confidence, before (left panel) and after (right) temperature scaling, with the diagonal a
 * perfectly calibrated model would follow. Only numbers and fixed words go into the markup.
 */
export function reliabilitySvg(before: readonly ReliabilityBin[], after: readonly ReliabilityBin[], ece: { before: number; after: number }): string {
  const size = 220;
  const pad = 36;
  const panelWidth = size + pad + 16;
  const panel = (bins: readonly ReliabilityBin[], x0: number, title: string): string => {
    const x = (v: number): number => x0 + pad + v * size;
    const y = (v: number): number => 28 + size - v * size;
    const bars = bins
      .filter((b) => b.count > 0)
      .map((b) => {
        const w = (b.hi - b.lo) * size;
        const gap = Math.min(1, w / 4);
        return `<rect x="${(x(b.lo) + gap).toFixed(1)}" y="${y(b.accuracy).toFixed(1)}" width="${(w - 2 * gap).toFixed(1)}" height="${(b.accuracy * size).toFixed(1)}" fill="#4c72b0"><title>${b.count} images, confidence ${(100 * b.confidence).toFixed(1)}%, accuracy ${(100 * b.accuracy).toFixed(1)}%</title></rect>` +
          `<circle cx="${x(b.confidence).toFixed(1)}" cy="${y(b.accuracy).toFixed(1)}" r="2.5" fill="#c44e52"/>`;
      })
      .join('');
    const ticks = [0, 0.5, 1]
      .map((t) => `<text x="${x(t).toFixed(1)}" y="${28 + size + 14}" text-anchor="middle">${t}</text><text x="${x0 + pad - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`)
      .join('');
    return `<g><text x="${x0 + pad}" y="18" font-weight="bold">${title}</text>` +
      `<rect x="${x(0)}" y="${y(1)}" width="${size}" height="${size}" fill="none" stroke="#888"/>${bars}` +
      `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#888" stroke-dasharray="4 3"/>${ticks}` +
      `<text x="${x(0.5)}" y="${28 + size + 30}" text-anchor="middle">confidence</text></g>`;
  };
  const width = 2 * panelWidth;
  const height = 28 + size + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-label="reliability diagram">` +
    `<text x="10" y="${28 + size / 2}" transform="rotate(-90 10 ${28 + size / 2})" text-anchor="middle">accuracy</text>` +
    panel(before, 0, `Before: ECE ${ece.before.toFixed(3)}`) +
    panel(after, panelWidth, `After temperature scaling: ECE ${ece.after.toFixed(3)}`) +
    '</svg>\n';
}

/** The reliability diagram of a metrics.json `calibration` section, or undefined when it has none (or a damaged one). */
export function reliabilitySvgOf(calibration: unknown): string | undefined {
  const parsed = calibrationSectionSchema.safeParse(calibration);
  if (!parsed.success) return undefined;
  const c = parsed.data;
  return reliabilitySvg(c.reliability.before, c.reliability.after, { before: c.before.ece.value, after: c.after.ece.value });
}
