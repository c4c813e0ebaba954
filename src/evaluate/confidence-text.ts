import type { CalibrationSection, Estimate, UnknownSection } from './confidence';

/** The terminal lines of evaluation's calibration and unknown-artist figures. */
export function formatConfidence(m: { calibration?: CalibrationSection; unknown?: UnknownSection }): string[] {
  const lines: string[] = [];
  const c = m.calibration;
  const num = (e: Estimate, digits = 3): string => `${e.value.toFixed(digits)} [${e.lo.toFixed(digits)}, ${e.hi.toFixed(digits)}]`;
  const pct = (e: Estimate): string => `${(100 * e.value).toFixed(1)}% [${(100 * e.lo).toFixed(1)}%, ${(100 * e.hi).toFixed(1)}%]`;
  if (c) {
    lines.push(`  calibration: temperature ${c.temperature.toFixed(3)} (after: cross-fitted on two halves, T ${c.cross_fit.temperatures.map((t) => t.toFixed(3)).join(' and ')})`);
    lines.push(`    ECE    before ${num(c.before.ece)}  after ${num(c.after.ece)}`);
    lines.push(`    NLL    before ${num(c.before.nll)}  after ${num(c.after.nll)}`);
    lines.push(`    Brier  before ${num(c.before.brier)}  after ${num(c.after.brier)}`);
  }
  const u = m.unknown;
  if (u) {
    lines.push(`  unknown artist: below ${(100 * u.threshold).toFixed(1)}% calibrated confidence (keeps ${(100 * u.keep).toFixed(0)}% of known artists' held-out images); known-artist rejection rate ${pct(u.known_rejection_rate)}`);
    const d = u.detection;
    if (d) {
      lines.push(`    ${d.unknown_images} images of other artists (${d.source}):`);
      lines.push(`    AUROC ${num(d.auroc)} (energy score ${num(d.auroc_energy)}), false acceptance at the threshold ${pct(d.false_acceptance_rate)}`);
    }
  }
  return lines;
}
