import seedrandom from 'seedrandom';

export interface LogitAdjustCase {
  num_classes: number;
  logits: number[][];
  labels: number[];
  /** The training split's labels, whose class frequencies are the priors; skewed, every class present. */
  train_labels: number[];
  tau: number;
  label_smoothing: number;
}

/** Logits of small batches against long-tailed training splits, at assorted tau (0 included). */
export function logitAdjustCases(): LogitAdjustCase[] {
  const rng = seedrandom('logit-adjust');
  const int = (n: number): number => Math.floor(rng() * n);
  return Array.from({ length: 12 }, (_, c) => {
    const k = 2 + int(30);
    const n = 1 + int(40);
    // Class i drawn with weight 1/(i+1)^1.5: a long tail like the paintings' 877-to-99 range.
    const weights = Array.from({ length: k }, (_, i) => 1 / (i + 1) ** 1.5);
    const total = weights.reduce((a, b) => a + b, 0);
    const draw = (): number => {
      let u = rng() * total;
      for (let i = 0; i < k; i++) {
        u -= weights[i] as number;
        if (u < 0) return i;
      }
      return k - 1;
    };
    const trainLabels = Array.from({ length: k + 20 * k + int(200) }, (_, i) => (i < k ? i : draw()));
    return {
      num_classes: k,
      logits: Array.from({ length: n }, () => Array.from({ length: k }, () => (rng() - 0.5) * 8)),
      labels: Array.from({ length: n }, () => int(k)),
      train_labels: trainLabels,
      tau: c === 0 ? 0 : c === 1 ? 1 : rng() * 2.5,
      label_smoothing: c % 4 === 3 ? rng() * 0.2 : 0,
    };
  });
}
