import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { TimError } from '../core/errors';

/**
 * Two-sided exact McNemar test on the discordant pairs of two classifiers scored on the same
 * images: `b` images only the first got right, `c` only the second. Under the null hypothesis
 * each discordant image is equally likely to go either way, so the p-value is twice the lower
 * tail of Binomial(b + c, ½) at min(b, c), capped at 1 (statsmodels' `mcnemar(exact=True)`).
 */
export function mcnemarExact(b: number, c: number): number {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) throw new TimError(`McNemar: discordant counts must be whole numbers ≥ 0, got ${b} and ${c}`);
  return Math.min(1, 2 * binomialCdf(Math.min(b, c), b + c, 0.5));
}

/**
 * Holm's step-down adjustment of p-values (statsmodels' `multipletests(method='holm')`): the
 * i-th smallest of m is multiplied by m − i + 1, made non-decreasing in that order, capped at 1.
 * Returned in the order given.
 */
export function holmAdjust(pvalues: readonly number[]): number[] {
  const m = pvalues.length;
  const order = pvalues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m).fill(NaN);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, p * (m - rank)));
    adjusted[i] = running;
  });
  return adjusted;
}

/** Mean, sample standard deviation and Student-t interval of a few values (e.g. one per seed). */
export interface SpreadSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator); NaN with one value. */
  sd: number;
  /** mean ± t(1 − α/2, n − 1) · sd / √n; NaN ends with one value. */
  lo: number;
  hi: number;
  confidence: number;
  method: 't-interval';
}

export function tInterval(values: readonly number[], confidence = 0.95): SpreadSummary {
  const n = values.length;
  if (n === 0) throw new TimError('t-interval: no values');
  if (!(confidence > 0 && confidence < 1)) throw new TimError(`t-interval: confidence must be in (0, 1), got ${confidence}`);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, sd: NaN, lo: NaN, hi: NaN, confidence, method: 't-interval' };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(1 - (1 - confidence) / 2, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, lo: mean - half, hi: mean + half, confidence, method: 't-interval' };
}
