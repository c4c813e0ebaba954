import { differenceInterval, pairedDifference } from '../../../src/evaluate/paired';
import { holmAdjust, mcnemarExact, tInterval } from '../../../src/evaluate/stats';
import { pairedStatsCases } from '../../support/goldens/cases/paired-stats';
import { loadGolden } from '../../support/goldens/golden';

interface Reference {
  mcnemar: number[];
  holm: number[][];
  t_interval: { mean: number; sd: number; lo: number; hi: number }[];
  bootstrap: Record<'accuracy' | 'f1_macro', { diff: number; lo: number; hi: number }>[];
}

const cases = pairedStatsCases();
const ref = loadGolden('paired-stats').json<Reference>('stats.json');

describe('paired statistics against statsmodels, scipy and scikit-learn (golden)', () => {
  it("McNemar's exact test matches statsmodels to 1e-9", () => {
    expect(ref.mcnemar).toHaveLength(cases.mcnemar.length);
    cases.mcnemar.forEach(([b, c], i) => {
      const want = ref.mcnemar[i]!;
      const got = mcnemarExact(b, c);
      expect(Math.abs(got - want)).toBeLessThan(1e-9);
      // Tiny p-values agree in their leading digits too, not just both being near 0.
      if (want > 1e-300) expect(Math.abs(got - want) / want).toBeLessThan(1e-9);
    });
  });

  it("Holm's correction matches multipletests(method='holm')", () => {
    cases.holm.forEach((ps, i) => {
      const got = holmAdjust(ps);
      ref.holm[i]!.forEach((want, j) => expect(Math.abs(got[j]! - want)).toBeLessThan(1e-12));
    });
  });

  it("the t-interval matches scipy's stats.t.interval", () => {
    cases.t_interval.forEach(({ values, confidence }, i) => {
      const got = tInterval(values, confidence);
      const want = ref.t_interval[i]!;
      for (const k of ['mean', 'sd', 'lo', 'hi'] as const) expect(Math.abs(got[k] - want[k])).toBeLessThan(1e-9);
    });
  });

  it('the paired bootstrap differences and interval match sklearn and numpy on the same resamples', () => {
    cases.bootstrap.forEach((c, i) => {
      const p = { yTrue: Int32Array.from(c.y_true), predA: Int32Array.from(c.pred_a), predB: Int32Array.from(c.pred_b), numClasses: c.num_classes };
      const point = pairedDifference(p);
      const draws = c.indices.map((idx) => pairedDifference(p, idx));
      for (const k of ['accuracy', 'f1_macro'] as const) {
        const got = differenceInterval(point[k], draws.map((d) => d[k]), c.confidence);
        const want = ref.bootstrap[i]![k];
        expect(Math.abs(got.diff - want.diff)).toBeLessThan(1e-12);
        expect(Math.abs(got.lo - want.lo)).toBeLessThan(1e-12);
        expect(Math.abs(got.hi - want.hi)).toBeLessThan(1e-12);
      }
    });
  });
});

describe('paired statistics: edge cases', () => {
  it('rejects counts that are not whole numbers', () => {
    expect(() => mcnemarExact(-1, 2)).toThrow(/whole numbers/);
    expect(() => mcnemarExact(1.5, 2)).toThrow(/whole numbers/);
  });
  it('a single value has a mean but no spread', () => {
    const s = tInterval([0.8]);
    expect(s.mean).toBe(0.8);
    expect(Number.isNaN(s.sd) && Number.isNaN(s.lo)).toBe(true);
  });
});
