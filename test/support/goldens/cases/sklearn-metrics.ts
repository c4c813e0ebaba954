import seedrandom from 'seedrandom';

export interface MetricsCase {
  num_classes: number;
  y_true: number[];
  y_pred: number[];
  probs?: number[][];
}

/** Random label sets with classes that are never present and classes that are never predicted. */
export function metricsCases(): MetricsCase[] {
  const rng = seedrandom('sklearn-parity');
  const int = (n: number): number => Math.floor(rng() * n);
  const cases: MetricsCase[] = [];
  for (let c = 0; c < 40; c++) {
    const k = 2 + int(12);
    const n = 1 + int(200);
    // Each side draws from its own random subset of classes, so some classes appear only as
    // truth, only as prediction, or not at all.
    const trueClasses = Array.from({ length: k }, (_, i) => i).filter(() => rng() < 0.7);
    const predClasses = Array.from({ length: k }, (_, i) => i).filter(() => rng() < 0.6);
    if (trueClasses.length === 0) trueClasses.push(int(k));
    if (predClasses.length === 0) predClasses.push(int(k));
    const yTrue = Array.from({ length: n }, () => trueClasses[int(trueClasses.length)]!);
    // Mix correct and random predictions so that per-class scores are neither all 0 nor all 1.
    const yPred = yTrue.map((t) => (rng() < 0.5 && predClasses.includes(t) ? t : predClasses[int(predClasses.length)]!));
    cases.push({ num_classes: k, y_true: yTrue, y_pred: yPred });
  }
  // Degenerate sets: a single class; everything predicted as one class; nothing right.
  cases.push({ num_classes: 1, y_true: [0, 0, 0], y_pred: [0, 0, 0] });
  cases.push({ num_classes: 5, y_true: [0, 1, 2, 3, 4, 4], y_pred: [2, 2, 2, 2, 2, 2] });
  cases.push({ num_classes: 4, y_true: [0, 0, 1, 1], y_pred: [2, 3, 3, 2] });
  // Probability cases for top-3 accuracy and calibration: prediction = argmax.
  for (let c = 0; c < 10; c++) {
    const k = 4 + int(28);
    const n = 20 + int(300);
    const yTrue = Array.from({ length: n }, () => int(k - 1)); // class k-1 never present
    const probs = yTrue.map((t) => {
      const raw = Array.from({ length: k }, (_, j) => rng() ** 3 + (j === t ? rng() * 2 : 0));
      const sum = raw.reduce((a, b) => a + b, 0);
      return raw.map((v) => v / sum);
    });
    const yPred = probs.map((row) => row.indexOf(Math.max(...row)));
    cases.push({ num_classes: k, y_true: yTrue, y_pred: yPred, probs });
  }
  return cases;
}
