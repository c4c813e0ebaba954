import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import seedrandom from 'seedrandom';
import { classificationMetrics, expectedCalibrationError, topKAccuracy } from '../../../src/evaluate/metrics';
import { tmpDir } from '../../support/tmp';

interface Case {
  num_classes: number;
  y_true: number[];
  y_pred: number[];
  probs?: number[][];
}

interface Reference {
  accuracy: number;
  confusion: number[][];
  per_class: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  weighted: { precision: number; recall: number; f1: number };
  macro: { precision: number; recall: number; f1: number };
  top3_accuracy?: number;
  ece?: number;
}

const SCRIPT = path.resolve(__dirname, '../../../scripts/eval_sklearn_metrics.py');

/** Random label sets with classes that are never present and classes that are never predicted. */
function makeCases(): Case[] {
  const rng = seedrandom('sklearn-parity');
  const int = (n: number): number => Math.floor(rng() * n);
  const cases: Case[] = [];
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

function expectClose(actual: number, expected: number, what: string): void {
  if (!(Math.abs(actual - expected) <= 1e-9)) throw new Error(`${what}: ${actual} vs scikit-learn ${expected}`);
}

test('every metric and the confusion matrix match scikit-learn to 1e-9', () => {
  const cases = makeCases();
  const tmp = tmpDir();
  try {
    const input = path.join(tmp.dir, 'in.json');
    const output = path.join(tmp.dir, 'out.json');
    fs.writeFileSync(input, JSON.stringify({ cases }));
    execFileSync('/usr/bin/python3', [SCRIPT, input, output], { stdio: ['ignore', 'ignore', 'inherit'] });
    const ref = JSON.parse(fs.readFileSync(output, 'utf8')) as { sklearn: string; results: Reference[] };
    expect(ref.results).toHaveLength(cases.length);
    let neverPredicted = 0;
    let neverPresent = 0;
    cases.forEach((c, i) => {
      const r = ref.results[i]!;
      const m = classificationMetrics(c.y_true, c.y_pred, c.num_classes);
      const tag = `case ${i} (K=${c.num_classes}, n=${c.y_true.length})`;
      expect(m.confusion).toEqual(r.confusion);
      expectClose(m.accuracy, r.accuracy, `${tag} accuracy`);
      for (const avg of ['weighted', 'macro'] as const) {
        for (const key of ['precision', 'recall', 'f1'] as const) expectClose(m[avg][key], r[avg][key], `${tag} ${key}_${avg}`);
      }
      m.perClass.forEach((pc, k) => {
        expectClose(pc.precision, r.per_class.precision[k]!, `${tag} precision[${k}]`);
        expectClose(pc.recall, r.per_class.recall[k]!, `${tag} recall[${k}]`);
        expectClose(pc.f1, r.per_class.f1[k]!, `${tag} f1[${k}]`);
        expect(pc.support).toBe(r.per_class.support[k]);
        if (pc.predicted === 0) neverPredicted++;
        if (pc.support === 0) neverPresent++;
      });
      if (c.probs) {
        expectClose(topKAccuracy(c.y_true, c.probs, 3), r.top3_accuracy!, `${tag} top3`);
        expectClose(expectedCalibrationError(c.y_true, c.probs), r.ece!, `${tag} ece`);
      }
    });
    // The generated sets really exercise the zero-division rules.
    expect(neverPredicted).toBeGreaterThan(20);
    expect(neverPresent).toBeGreaterThan(20);
  } finally {
    tmp.cleanup();
  }
});
