import seedrandom from 'seedrandom';
import { TimError } from '../core/errors';
import { recordOf } from '../core/record-of';
import { classificationMetrics, type ClassificationMetrics } from './metrics';
import { HEADLINE_METRICS, type BootstrapInterval, type BootstrapResult, type HeadlineMetric } from '../io/run-folder';

/** The headline metrics and their intervals, as metrics.json records them. */
export { HEADLINE_METRICS, type BootstrapInterval, type BootstrapResult, type HeadlineMetric } from '../io/run-folder';
export type HeadlineMetrics = Record<HeadlineMetric, number>;

export interface BootstrapOptions {
  /** Number of resamples; default 1000. */
  resamples?: number;
  /** Seed of the resampling stream; default 0. */
  seed?: number;
  /**
   * Size of each resample as a fraction of the held-out set; default 1 (the classical
   * bootstrap). 0.2 reproduces the reference's "20% sample", but drawn from held-out
   * predictions only.
   */
  sampleFraction?: number;
  /** Central interval mass; default 0.95. */
  confidence?: number;
}

/** The seven headline metrics of one label/prediction set. */
export function headlineMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): HeadlineMetrics {
  return headlineOf(classificationMetrics(yTrue, yPred, numClasses));
}

/** The headline section of already computed metrics. */
export function headlineOf(m: ClassificationMetrics): HeadlineMetrics {
  return {
    accuracy: m.accuracy,
    precision_weighted: m.weighted.precision,
    recall_weighted: m.weighted.recall,
    f1_weighted: m.weighted.f1,
    precision_macro: m.macro.precision,
    recall_macro: m.macro.recall,
    f1_macro: m.macro.f1,
  };
}

/**
 * Linear-interpolation quantile of sorted values (numpy's default 'linear' method), so the
 * interval ends match `np.percentile` on the same resampled values.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Percentile bootstrap over held-out predictions: each resample draws `sampleFraction·n`
 * indices with replacement from the given predictions (never from anything else), recomputes
 * every headline metric, and reports the mean and the central `confidence` interval.
 *
 * Macro averages keep scikit-learn's `labels=range(K)` semantics inside each resample: a class
 * that a resample happens to miss scores 0. With small splits or a small `sampleFraction` this
 * pulls the macro intervals below the point estimate, which is the honest reading of how
 * little such a sample says about the rarest classes.
 */
export function bootstrapMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
  opts: BootstrapOptions = {},
): BootstrapResult {
  const resamples = opts.resamples ?? 1000;
  const seed = opts.seed ?? 0;
  const fraction = opts.sampleFraction ?? 1;
  const confidence = opts.confidence ?? 0.95;
  const n = yTrue.length;
  if (yTrue.length !== yPred.length) throw new TimError(`bootstrap: ${yTrue.length} true labels but ${yPred.length} predictions`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new TimError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (!(fraction > 0 && fraction <= 1)) throw new TimError(`bootstrap: sample fraction must be in (0, 1], got ${fraction}`);
  if (!(confidence > 0 && confidence < 1)) throw new TimError(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  if (n === 0) throw new TimError('bootstrap: no predictions to resample');
  const size = Math.max(1, Math.round(fraction * n));
  const rng = seedrandom(`tim-bootstrap:${seed}`);
  const values = recordOf(HEADLINE_METRICS, (): number[] => []);
  const t = new Int32Array(size);
  const p = new Int32Array(size);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < size; i++) {
      const j = Math.floor(rng() * n);
      t[i] = yTrue[j] as number;
      p[i] = yPred[j] as number;
    }
    const m = headlineMetrics(t, p, numClasses);
    for (const k of HEADLINE_METRICS) values[k].push(m[k]);
  }
  const alpha = (1 - confidence) / 2;
  const metrics = recordOf(HEADLINE_METRICS, (k): BootstrapInterval => {
    const v = values[k].slice().sort((a, b) => a - b);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, lo: quantileSorted(v, alpha), hi: quantileSorted(v, 1 - alpha) };
  });
  return { resamples, seed, sample_fraction: fraction, sample_size: size, confidence, method: 'percentile', metrics };
}

/**
 * Percentile bootstrap of any statistic of `n` items: each resample draws `n` indices with
 * replacement from the same seeded stream as {@link bootstrapMetrics} and `statistic` computes
 * the value on them. For figures that are not headline metrics (calibration, detection).
 */
export function bootstrapStatistic(
  n: number,
  statistic: (indices: Int32Array) => number,
  opts: { resamples?: number; seed?: number; confidence?: number } = {},
): BootstrapInterval {
  const resamples = opts.resamples ?? 1000;
  const confidence = opts.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new TimError(`bootstrap: resamples must be a positive integer, got ${resamples}`);
  if (n === 0) throw new TimError('bootstrap: nothing to resample');
  const rng = seedrandom(`tim-bootstrap:${opts.seed ?? 0}`);
  const idx = new Int32Array(n);
  const values: number[] = [];
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(rng() * n);
    values.push(statistic(idx));
  }
  values.sort((a, b) => a - b);
  const alpha = (1 - confidence) / 2;
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, lo: quantileSorted(values, alpha), hi: quantileSorted(values, 1 - alpha) };
}

/**
 * Percentile bootstrap of a statistic of two separate samples (of sizes `nA` and `nB`): each
 * resample redraws each sample on its own, with replacement, from one seeded stream.
 */
export function bootstrapTwoSamples(
  nA: number,
  nB: number,
  statistic: (a: Int32Array, b: Int32Array) => number,
  opts: { resamples?: number; seed?: number; confidence?: number } = {},
): BootstrapInterval {
  if (nA === 0 || nB === 0) throw new TimError(`bootstrap: both samples need items (got ${nA} and ${nB})`);
  const rng = seedrandom(`tim-bootstrap-two:${opts.seed ?? 0}`);
  const a = new Int32Array(nA);
  const b = new Int32Array(nB);
  return bootstrapStatistic(
    1,
    () => {
      for (let i = 0; i < nA; i++) a[i] = Math.floor(rng() * nA);
      for (let i = 0; i < nB; i++) b[i] = Math.floor(rng() * nB);
      return statistic(a, b);
    },
    opts,
  );
}
