import seedrandom from 'seedrandom';
import { bootstrapMetrics, headlineMetrics, HEADLINE_METRICS, quantileSorted } from '../../../src/evaluate/bootstrap';
import { topConfusions } from '../../../src/evaluate/confusions';

/** A synthetic held-out set of size n where about 75% of predictions are right. */
function heldOut(n: number, k: number, seed: string): { t: number[]; p: number[] } {
  const rng = seedrandom(seed);
  const t = Array.from({ length: n }, () => Math.floor(rng() * k));
  const p = t.map((c) => (rng() < 0.75 ? c : Math.floor(rng() * k)));
  return { t, p };
}

test('bootstrap intervals are reproducible with a seed and change with it', () => {
  const { t, p } = heldOut(300, 6, 'a');
  const a = bootstrapMetrics(t, p, 6, { resamples: 200, seed: 7 });
  const b = bootstrapMetrics(t, p, 6, { resamples: 200, seed: 7 });
  const c = bootstrapMetrics(t, p, 6, { resamples: 200, seed: 8 });
  expect(b).toEqual(a);
  expect(c.metrics.accuracy).not.toEqual(a.metrics.accuracy);
  for (const k of HEADLINE_METRICS) {
    const m = a.metrics[k];
    expect(m.lo).toBeLessThanOrEqual(m.mean);
    expect(m.mean).toBeLessThanOrEqual(m.hi);
  }
  // The point estimate of accuracy lies inside its interval and near the bootstrap mean.
  const point = headlineMetrics(t, p, 6);
  expect(point.accuracy).toBeGreaterThan(a.metrics.accuracy.lo);
  expect(point.accuracy).toBeLessThan(a.metrics.accuracy.hi);
  expect(Math.abs(point.accuracy - a.metrics.accuracy.mean)).toBeLessThan(0.01);
});

test('bootstrap intervals narrow as the held-out split grows', () => {
  const widths = [100, 400, 1600].map((n) => {
    const { t, p } = heldOut(n, 5, `n${n}`);
    const r = bootstrapMetrics(t, p, 5, { resamples: 300, seed: 1 });
    return { acc: r.metrics.accuracy.hi - r.metrics.accuracy.lo, f1: r.metrics.f1_weighted.hi - r.metrics.f1_weighted.lo };
  });
  // Width scales like 1/sqrt(n): each fourfold increase should roughly halve it.
  for (let i = 1; i < widths.length; i++) {
    expect(widths[i]!.acc).toBeLessThan(widths[i - 1]!.acc * 0.75);
    expect(widths[i]!.f1).toBeLessThan(widths[i - 1]!.f1 * 0.75);
  }
  // A 95% interval of a binomial proportion near 0.8 with n=400 is about ±0.039.
  expect(widths[1]!.acc).toBeGreaterThan(0.05);
  expect(widths[1]!.acc).toBeLessThan(0.11);
});

test('a 20% sample fraction draws smaller resamples, giving wider intervals', () => {
  const { t, p } = heldOut(500, 4, 'frac');
  const full = bootstrapMetrics(t, p, 4, { resamples: 300, seed: 3 });
  const fifth = bootstrapMetrics(t, p, 4, { resamples: 300, seed: 3, sampleFraction: 0.2 });
  expect(fifth.sample_size).toBe(100);
  expect(full.sample_size).toBe(500);
  const w = (r: typeof full): number => r.metrics.accuracy.hi - r.metrics.accuracy.lo;
  expect(w(fifth)).toBeGreaterThan(w(full) * 1.6);
});

test('bootstrap rejects bad options', () => {
  expect(() => bootstrapMetrics([0], [0], 1, { sampleFraction: 0 })).toThrow(/sample fraction/);
  expect(() => bootstrapMetrics([0], [0], 1, { resamples: 0 })).toThrow(/resamples/);
  expect(() => bootstrapMetrics([], [], 1)).toThrow(/no predictions/);
});

test('quantiles interpolate linearly like numpy', () => {
  expect(quantileSorted([1, 2, 3, 4], 0.5)).toBeCloseTo(2.5, 12);
  expect(quantileSorted([0, 10], 0.025)).toBeCloseTo(0.25, 12);
  expect(quantileSorted([5], 0.975)).toBe(5);
});

test('top confusions count off-diagonal pairs with example files', () => {
  const classes = ['a', 'b', 'c'];
  const t = [0, 0, 0, 1, 1, 2, 2, 2];
  const p = [1, 1, 0, 0, 1, 1, 1, 0];
  const files = t.map((_, i) => `f${i}.jpg`);
  const c = topConfusions(t, p, files, classes, { examples: 1 });
  expect(c.map((x) => [x.true_label, x.pred_label, x.count])).toEqual([
    ['a', 'b', 2],
    ['c', 'b', 2],
    ['b', 'a', 1],
    ['c', 'a', 1],
  ]);
  expect(c[0]!.examples).toEqual(['f0.jpg']);
  expect(c[0]!.rate).toBeCloseTo(2 / 3, 12);
  expect(topConfusions(t, p, files, classes, { top: 2 })).toHaveLength(2);
});
