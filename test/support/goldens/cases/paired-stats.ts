import seedrandom from 'seedrandom';

/**
 * Seeded inputs of the paired-comparison reference (scripts/eval_paired_stats.py): discordant
 * counts for McNemar's exact test, p-value lists for Holm's correction, small samples for the
 * t-interval, and two classifiers' predictions with fixed resample indices for the paired
 * bootstrap.
 */
export interface PairedStatsCases {
  mcnemar: [number, number][];
  holm: number[][];
  t_interval: { values: number[]; confidence: number }[];
  bootstrap: { num_classes: number; y_true: number[]; pred_a: number[]; pred_b: number[]; indices: number[][]; confidence: number }[];
}

export function pairedStatsCases(): PairedStatsCases {
  const rng = seedrandom('paired-stats');
  const int = (n: number): number => Math.floor(rng() * n);
  const mcnemar: [number, number][] = [
    [0, 0],
    [1, 0],
    [0, 1],
    [5, 5],
    [3, 20],
    [0, 25],
    [100, 130],
    [600, 700],
    [10, 1000],
    [1438, 0],
  ];
  for (let i = 0; i < 30; i++) {
    const n = 1 + int(i < 15 ? 60 : 1500);
    const b = int(n + 1);
    mcnemar.push([b, n - b]);
  }
  const holm: number[][] = [[0.04], [0.01, 0.04], [0.03, 0.03, 0.5], [1, 1e-12, 0.2, 0.2, 0.049]];
  for (let i = 0; i < 10; i++) {
    const m = 2 + int(20);
    holm.push(Array.from({ length: m }, () => (rng() < 0.3 ? rng() * 0.01 : rng())));
  }
  const t_interval: PairedStatsCases['t_interval'] = [];
  for (let i = 0; i < 12; i++) {
    const n = 2 + int(9);
    t_interval.push({ values: Array.from({ length: n }, () => 0.7 + 0.1 * rng()), confidence: i % 3 === 0 ? 0.9 : 0.95 });
  }
  const bootstrap: PairedStatsCases['bootstrap'] = [];
  for (let c = 0; c < 6; c++) {
    const k = 2 + int(8);
    const n = 10 + int(150);
    const yTrue = Array.from({ length: n }, () => int(k));
    const guess = (skill: number): number[] => yTrue.map((t) => (rng() < skill ? t : int(k)));
    const indices = Array.from({ length: 200 }, () => Array.from({ length: n }, () => int(n)));
    bootstrap.push({ num_classes: k, y_true: yTrue, pred_a: guess(0.5), pred_b: guess(0.6), indices, confidence: 0.95 });
  }
  return { mcnemar, holm, t_interval, bootstrap };
}
