import seedrandom from 'seedrandom';

export interface LossCase {
  num_classes: number;
  logits: number[][];
  labels: number[];
  label_smoothing: number;
  train_labels: number[];
}

export function lossCases(): LossCase[] {
  const rng = seedrandom('train-loss');
  const int = (n: number): number => Math.floor(rng() * n);
  return Array.from({ length: 12 }, (_, c) => {
    const k = 2 + int(30);
    const n = 1 + int(40);
    const trainLabels = Array.from({ length: k * 3 + int(100) }, (_, i) => (i < k ? i : int(k)));
    return {
      num_classes: k,
      logits: Array.from({ length: n }, () => Array.from({ length: k }, () => (rng() - 0.5) * 8)),
      labels: Array.from({ length: n }, () => int(k)),
      label_smoothing: c % 3 === 0 ? 0 : rng() * 0.3,
      train_labels: trainLabels,
    };
  });
}
