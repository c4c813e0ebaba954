import * as fs from 'fs';
import * as path from 'path';
import seedrandom from 'seedrandom';
import { quantileSorted } from '../evaluate/bootstrap';
import { classificationMetrics } from '../evaluate/metrics';
import { readScoredImages, type ScoredImages } from '../evaluate/paired';
import { tInterval, type SpreadSummary } from '../evaluate/stats';
import type { CsvValue } from '../io/csv';
import { RUN_FILES } from '../io/run-folder';
import type { SweepRow } from './summary';
import { REPEAT_KEYS, type GridValue } from './sweep-spec';

/**
 * Training variance of a sweep: runs that differ only in `seed` and/or `data.fold` are one
 * configuration repeated. Each configuration gets the mean, standard deviation and Student-t
 * interval of its runs' held-out metrics; with folds, the out-of-fold predictions are pooled
 * into one estimate whose interval comes from a two-level bootstrap (runs, then images).
 */

export interface PooledEstimate {
  images: number;
  accuracy: { value: number; lo: number; hi: number };
  f1_macro: { value: number; lo: number; hi: number };
  resamples: number;
  seed: number;
  method: 'two-level bootstrap: runs with replacement, then images with replacement within each drawn run';
}

export interface ConfigurationSpread {
  /** The grid values that define the configuration (everything but seed and fold). */
  values: Record<string, GridValue>;
  /** What the runs repeat over, e.g. ['seed'] or ['data.fold']. */
  over: string[];
  runs: string[];
  accuracy: SpreadSummary;
  f1_macro: SpreadSummary;
  /** With data.fold in the grid: the pooled out-of-fold estimate (runs without predictions.csv leave it out). */
  pooled?: PooledEstimate;
}

function metricOf(row: SweepRow, key: 'accuracy' | 'f1_macro'): number | undefined {
  const v = row.run.metrics?.[key];
  // NaN: written as null, a figure evaluation could not define.
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

/**
 * Pools the runs' predictions into one estimate. Each bootstrap resample draws as many runs as
 * there are, with replacement, and for each drawn run as many of its images as it scored, with
 * replacement: the spread between the runs' models (training variance: seeds, folds) enters the
 * interval as well as the sampling of the held-out images.
 */
export function pooledEstimate(runs: readonly ScoredImages[], opts: { resamples?: number; seed?: number; confidence?: number } = {}): PooledEstimate {
  const resamples = opts.resamples ?? 1000;
  const seed = opts.seed ?? 0;
  const confidence = opts.confidence ?? 0.95;
  const first = runs[0];
  if (!first) throw new Error('pooled estimate: no runs');
  const classes = first.classes;
  const index = new Map(classes.map((c, i) => [c, i]));
  const coded = runs.map((r) => ({
    t: Int32Array.from(r.labels, (l) => index.get(l) ?? -1),
    p: Int32Array.from(r.preds, (l) => index.get(l) ?? -1),
  }));
  const score = (parts: readonly { t: Int32Array; p: Int32Array }[]): { accuracy: number; f1_macro: number } => {
    const t = Int32Array.from(parts.flatMap((x) => Array.from(x.t)));
    const p = Int32Array.from(parts.flatMap((x) => Array.from(x.p)));
    const m = classificationMetrics(t, p, classes.length);
    return { accuracy: m.accuracy, f1_macro: m.macro.f1 };
  };
  const point = score(coded);
  const rng = seedrandom(`tim-pooled-bootstrap:${seed}`);
  const acc: number[] = [];
  const f1: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const parts = coded.map(() => {
      const run = coded[Math.floor(rng() * coded.length)] as { t: Int32Array; p: Int32Array };
      const n = run.t.length;
      const t = new Int32Array(n);
      const p = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const j = Math.floor(rng() * n);
        t[i] = run.t[j] as number;
        p[i] = run.p[j] as number;
      }
      return { t, p };
    });
    const s = score(parts);
    acc.push(s.accuracy);
    f1.push(s.f1_macro);
  }
  const alpha = (1 - confidence) / 2;
  const interval = (value: number, values: number[]) => {
    const sorted = values.sort((x, y) => x - y);
    return { value, lo: quantileSorted(sorted, alpha), hi: quantileSorted(sorted, 1 - alpha) };
  };
  return {
    images: coded.reduce((s, r) => s + r.t.length, 0),
    accuracy: interval(point.accuracy, acc),
    f1_macro: interval(point.f1_macro, f1),
    resamples,
    seed,
    method: 'two-level bootstrap: runs with replacement, then images with replacement within each drawn run',
  };
}

/** The repeated configurations of a sweep (none when the grid varies neither seed nor data.fold). */
export function configurationSpreads(axes: readonly { key: string }[], rows: readonly SweepRow[], opts: { resamples?: number; seed?: number } = {}): ConfigurationSpread[] {
  const over = axes.map((a) => a.key).filter((k) => REPEAT_KEYS.includes(k));
  if (over.length === 0) return [];
  const groups = new Map<string, { values: Record<string, GridValue>; rows: SweepRow[] }>();
  for (const row of rows) {
    const values = Object.fromEntries(Object.entries(row.values).filter(([k]) => !over.includes(k)));
    const key = JSON.stringify(Object.entries(values).sort());
    const g = groups.get(key);
    if (g) g.rows.push(row);
    else groups.set(key, { values, rows: [row] });
  }
  return [...groups.values()].map((g) => {
    const spread = (k: 'accuracy' | 'f1_macro') => tInterval(g.rows.map((r) => metricOf(r, k)).filter((v): v is number => v !== undefined));
    const out: ConfigurationSpread = { values: g.values, over, runs: g.rows.map((r) => r.run.name), accuracy: spread('accuracy'), f1_macro: spread('f1_macro') };
    if (over.includes('data.fold')) {
      // Pooled only when every run's predictions are there: a missing fold would bias the estimate.
      if (g.rows.every((r) => fs.existsSync(path.join(r.run.dir, RUN_FILES.predictions)))) out.pooled = pooledEstimate(g.rows.map((r) => readScoredImages(r.run.dir)), opts);
    }
    return out;
  });
}

const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');

function spreadText(s: SpreadSummary): string {
  if (s.n < 2) return `${pct(s.mean)} (one run: no spread)`;
  return `${pct(s.mean)} ± ${pct(s.sd)} (SD), ${Math.round(s.confidence * 100)}% t-interval [${pct(s.lo)}, ${pct(s.hi)}]`;
}

/** How the spreads were computed, in one paragraph. */
export function varianceMethod(spreads: readonly ConfigurationSpread[]): string {
  const over = spreads[0]?.over.join(' and ') ?? '';
  return (
    `Runs that differ only in ${over} are one configuration repeated. Per configuration: the mean and standard deviation of the runs' held-out metrics, and the Student-t 95% interval of that mean over the runs (n − 1 degrees of freedom).` +
    (spreads.some((s) => s.pooled)
      ? " Pooled out-of-fold: every run's held-out predictions scored together; its 95% interval is a two-level bootstrap (runs drawn with replacement, then images within each drawn run), so it includes the variance between the folds' models as well as that of the images."
      : '')
  );
}

/** One line per configuration (and its pooled estimate). */
export function varianceSentences(spreads: readonly ConfigurationSpread[]): string[] {
  return spreads.map((s) => {
    const name = Object.entries(s.values).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'all runs';
    const p = s.pooled;
    const pooled = p ? `; pooled out-of-fold (${p.images} images): accuracy ${pct(p.accuracy.value)} [${pct(p.accuracy.lo)}, ${pct(p.accuracy.hi)}], macro-F1 ${pct(p.f1_macro.value)} [${pct(p.f1_macro.lo)}, ${pct(p.f1_macro.hi)}]` : '';
    return `${name} (${s.runs.length} runs): accuracy ${spreadText(s.accuracy)}; macro-F1 ${spreadText(s.f1_macro)}${pooled}`;
  });
}

/** The Markdown section of a sweep summary. */
export function varianceMarkdown(spreads: readonly ConfigurationSpread[]): string {
  if (spreads.length === 0) return '';
  return ['## Training variance', '', varianceMethod(spreads), '', ...varianceSentences(spreads).map((t) => `- ${t}`), ''].join('\n');
}

/** One CSV row per configuration. */
export function varianceRows(axes: readonly { key: string }[], spreads: readonly ConfigurationSpread[]): CsvValue[][] {
  const keys = axes.map((a) => a.key).filter((k) => !REPEAT_KEYS.includes(k));
  const stats = (s: SpreadSummary) => [s.mean, Number.isFinite(s.sd) ? s.sd : '', Number.isFinite(s.lo) ? s.lo : '', Number.isFinite(s.hi) ? s.hi : ''];
  const header = [...keys, 'over', 'runs', 'accuracy_mean', 'accuracy_sd', 'accuracy_t_lo', 'accuracy_t_hi', 'f1_macro_mean', 'f1_macro_sd', 'f1_macro_t_lo', 'f1_macro_t_hi', 'pooled_images', 'pooled_accuracy', 'pooled_accuracy_lo', 'pooled_accuracy_hi', 'pooled_f1_macro', 'pooled_f1_macro_lo', 'pooled_f1_macro_hi'];
  return [
    header,
    ...spreads.map((s) => [
      ...keys.map((k) => s.values[k] ?? ''),
      s.over.join('+'),
      s.runs.length,
      ...stats(s.accuracy),
      ...stats(s.f1_macro),
      ...(s.pooled ? [s.pooled.images, s.pooled.accuracy.value, s.pooled.accuracy.lo, s.pooled.accuracy.hi, s.pooled.f1_macro.value, s.pooled.f1_macro.lo, s.pooled.f1_macro.hi] : ['', '', '', '', '', '', '']),
    ]),
  ];
}
