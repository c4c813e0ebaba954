import { classificationMetrics, expectedCalibrationError, topKAccuracy } from '../../../src/evaluate/metrics';
import { metricsCases } from '../../support/goldens/cases/sklearn-metrics';
import { loadGolden } from '../../support/goldens/golden';

interface Reference {
  accuracy: number;
  confusion: number[][];
  per_class: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  weighted: { precision: number; recall: number; f1: number };
  macro: { precision: number; recall: number; f1: number };
  top3_accuracy?: number;
  ece?: number;
}

function expectClose(actual: number, expected: number, what: string): void {
  if (!(Math.abs(actual - expected) <= 1e-9)) throw new Error(`${what}: ${actual} vs scikit-learn ${expected}`);
}

test('every metric and the confusion matrix match scikit-learn to 1e-9', () => {
  const cases = metricsCases();
  const ref = loadGolden('sklearn-metrics').json<{ sklearn: string; results: Reference[] }>('metrics.json');
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
});
