import seedrandom from 'seedrandom';

/** A learning-rate sweep's raw step losses, as a sweep of `steps` from start to end would record them. */
export interface LrFindCase {
  start_lr: number;
  end_lr: number;
  steps: number;
  /** One raw loss per step; the sweep stops (by the rules) before using them all, or not. */
  losses: number[];
}

/**
 * Synthetic loss curves: flat, falling around a rate, then blowing up, with noise; one that
 * never diverges within its steps, and one that turns NaN.
 */
export function lrFindCases(): LrFindCase[] {
  const rng = seedrandom('lr-find');
  const curve = (steps: number, startLr: number, endLr: number, knee: number, blowUp: number, noise: number): number[] =>
    Array.from({ length: steps }, (_, i) => {
      const x = Math.log10(startLr * (endLr / startLr) ** (i / steps));
      return 2.3 - 1.6 / (1 + Math.exp(-2.2 * (x - knee))) + Math.exp(2.5 * (x - blowUp)) + noise * (rng() - 0.5);
    });
  const nan = curve(120, 1e-6, 1, -3, -0.5, 0.1);
  nan.fill(NaN, 90);
  return [
    { start_lr: 1e-7, end_lr: 10, steps: 100, losses: curve(100, 1e-7, 10, -4, -1, 0.2) },
    { start_lr: 1e-7, end_lr: 10, steps: 200, losses: curve(200, 1e-7, 10, -3.5, 0, 0.3) },
    { start_lr: 1e-5, end_lr: 1e-2, steps: 80, losses: curve(80, 1e-5, 1e-2, -3.5, 2, 0.05) },
    { start_lr: 1e-6, end_lr: 1, steps: 120, losses: nan },
  ];
}
