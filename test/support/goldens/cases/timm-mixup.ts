import seedrandom from 'seedrandom';

export interface SoftLossCase {
  logits: number[][];
  /** Rows of class probabilities; one-hot in the cases that check the hard-label limit. */
  targets: number[][];
  weights: number[];
  /** The targets' labels when they are one-hot. */
  labels?: number[];
}

export interface MixTargetCase {
  labels: number[];
  num_classes: number;
  lam: number;
  smoothing: number;
}

/** CutMix at a fixed λ and fixed box centre (timm's two randint draws). */
export interface CutmixCase {
  height: number;
  width: number;
  lam: number;
  cy: number;
  cx: number;
}

/** The Beta(α, α) shapes whose sampled λ are tested, and the sample size of each test. */
export const BETA_ALPHAS = [0.2, 0.4, 1, 2];
export const KS_SAMPLES = 4000;
/** The significance of every Kolmogorov–Smirnov test on sampled parameters. */
export const KS_SIGNIFICANCE = 0.01;

export function softLossCases(): SoftLossCase[] {
  const rng = seedrandom('soft-loss');
  const int = (n: number): number => Math.floor(rng() * n);
  return Array.from({ length: 8 }, (_, k) => {
    const c = 2 + int(12);
    const n = 1 + int(10);
    const oneHot = k % 2 === 0;
    const labels = Array.from({ length: n }, () => int(c));
    const targets = labels.map((l) => {
      if (oneHot) return Array.from({ length: c }, (_, j) => (j === l ? 1 : 0));
      const raw = Array.from({ length: c }, () => rng() ** 3);
      const sum = raw.reduce((s, v) => s + v, 0);
      return raw.map((v) => v / sum);
    });
    return {
      logits: Array.from({ length: n }, () => Array.from({ length: c }, () => (rng() - 0.5) * 10)),
      targets,
      weights: Array.from({ length: c }, () => 0.2 + rng() * 3),
      ...(oneHot ? { labels } : {}),
    };
  });
}

export function mixTargetCases(): MixTargetCase[] {
  const rng = seedrandom('mix-targets');
  return [
    { labels: [0, 2, 1, 2], num_classes: 3, lam: 0.7, smoothing: 0.1 },
    { labels: [4, 1, 3, 0, 2], num_classes: 6, lam: 0.25, smoothing: 0 },
    { labels: [1, 1], num_classes: 2, lam: 1, smoothing: 0.2 },
    { labels: Array.from({ length: 8 }, () => Math.floor(rng() * 31)), num_classes: 31, lam: rng(), smoothing: 0.1 },
  ];
}

export function cutmixCases(): CutmixCase[] {
  const rng = seedrandom('cutmix');
  const fixed: CutmixCase[] = [
    { height: 224, width: 224, lam: 0.7, cy: 112, cx: 112 },
    // Boxes that overhang a corner or an edge, and are clipped.
    { height: 224, width: 224, lam: 0.3, cy: 5, cx: 220 },
    { height: 32, width: 32, lam: 0.05, cy: 31, cx: 0 },
    { height: 17, width: 17, lam: 0.999, cy: 8, cx: 3 },
    { height: 16, width: 16, lam: 0, cy: 15, cx: 15 },
  ];
  return [...fixed, ...Array.from({ length: 20 }, () => {
    const size = 8 + Math.floor(rng() * 60);
    return { height: size, width: size, lam: rng(), cy: Math.floor(rng() * size), cx: Math.floor(rng() * size) };
  })];
}

/** A small NHWC batch to mix, and the (λ, box) it is mixed with. */
export const MIX_BATCH = { n: 5, height: 6, width: 7 };
export const MIX_CASES = [
  { lam: 0.35 },
  { lam: 1 - (3 * 4) / (6 * 7), box: { top: 1, bottom: 4, left: 2, right: 6 } },
];

export function mixBatch(): Float32Array {
  const rng = seedrandom('mix-batch');
  return Float32Array.from({ length: MIX_BATCH.n * MIX_BATCH.height * MIX_BATCH.width * 3 }, () => rng() * 4 - 2);
}
