import * as fs from 'fs';
import * as path from 'path';
import seedrandom from 'seedrandom';
import { TimError } from '../core/errors';
import { labelsFile, metricsFile, predictionsFile, RUN_FILES, splitFile, type RecordedPredictions } from '../io/run-folder';
import { quantileSorted } from './bootstrap';
import { classificationMetrics } from './metrics';
import { holmAdjust, mcnemarExact } from './stats';

/**
 * Paired comparison of runs scored on the same held-out images: the difference in accuracy and
 * in macro-F1 with a paired bootstrap interval (both runs resampled on the same images), and
 * McNemar's exact test on the images that exactly one of the two got right, Holm-corrected
 * when more than two runs are compared.
 */

/** One run's scored held-out images: as predictions.csv records them, with the run's classes. */
export interface ScoredImages extends RecordedPredictions {
  /** The classes of the model (labels.json), which macro averages run over. */
  classes: string[];
}

/** Reads predictions.csv and labels.json of an evaluated run. */
export function readScoredImages(runDir: string): ScoredImages {
  const file = path.join(runDir, RUN_FILES.predictions);
  const recorded = predictionsFile.read(file, `evaluate the run first (tim evaluate --run ${runDir})`);
  const classes = labelsFile.read(path.join(runDir, RUN_FILES.labels), "expected the run's class names");
  const scored = { ...recorded, classes };
  checkAgainstRun(runDir, file, scored);
  return scored;
}

/**
 * A predictions.csv edited or cut short since evaluation would still pair with another run's:
 * its rows must be the images metrics.json counted and, for the held-out split, exactly
 * split.json's `val` images with their true classes.
 */
function checkAgainstRun(runDir: string, file: string, scored: ScoredImages): void {
  const again = `evaluate the run again (tim evaluate --run ${runDir})`;
  const metricsPath = path.join(runDir, RUN_FILES.metrics);
  if (!fs.existsSync(metricsPath)) return;
  const metrics = metricsFile.read(metricsPath);
  const n = scored.paths.length;
  if (n !== metrics.num_samples) throw new TimError(`${file}: ${n} rows, but ${metricsPath} counts ${metrics.num_samples} evaluated images; expected one row per image: ${again}`);
  const splitPath = path.join(runDir, RUN_FILES.split);
  if (metrics.split !== 'val' || !fs.existsSync(splitPath)) return;
  const val = splitFile.read(splitPath).val;
  const truth = new Map(val.map((it) => [it.path, scored.classes[it.label]]));
  const extra = scored.paths.find((p) => !truth.has(p));
  if (extra !== undefined) throw new TimError(`${file}: '${extra}' is not one of the held-out (val) images of ${splitPath}; expected exactly those ${val.length} images: ${again}`);
  if (new Set(scored.paths).size !== val.length) {
    const listed = new Set(scored.paths);
    const missing = val.find((it) => !listed.has(it.path));
    throw new TimError(`${file}: ${missing ? `'${missing.path}' of the held-out images in ${splitPath} is missing` : 'an image is listed twice'}; expected each of those ${val.length} images once: ${again}`);
  }
  const relabelled = scored.paths.findIndex((p, i) => truth.get(p) !== scored.labels[i]);
  if (relabelled >= 0) {
    const p = scored.paths[relabelled] ?? '';
    throw new TimError(`${file}: '${p}' has true class '${scored.labels[relabelled] ?? ''}', but ${splitPath} says '${truth.get(p) ?? ''}': ${again}`);
  }
}

/** Two runs' predictions on the same images, as class indices in one order. */
export interface PairedPredictions {
  paths: string[];
  yTrue: Int32Array;
  predA: Int32Array;
  predB: Int32Array;
  numClasses: number;
}

export type Pairing = ({ paired: true } & PairedPredictions) | { paired: false; reason: string };

/**
 * Lines up two runs image by image. They pair only when they scored exactly the same images
 * with the same true labels and have the same classes; otherwise the reason is returned.
 */
export function pairRuns(a: ScoredImages, b: ScoredImages): Pairing {
  const sameClasses = a.classes.length === b.classes.length && a.classes.every((c) => b.classes.includes(c));
  if (!sameClasses) return { paired: false, reason: 'their models have different classes' };
  const bByPath = new Map(b.paths.map((p, i) => [p, i]));
  if (bByPath.size !== b.paths.length || new Set(a.paths).size !== a.paths.length) return { paired: false, reason: 'an image is listed twice in predictions.csv' };
  const common = a.paths.filter((p) => bByPath.has(p)).length;
  if (common !== a.paths.length || common !== b.paths.length) {
    return { paired: false, reason: `their held-out images differ (${a.paths.length} and ${b.paths.length} images, ${common} in common)` };
  }
  const index = new Map(a.classes.map((c, i) => [c, i]));
  const n = a.paths.length;
  const yTrue = new Int32Array(n);
  const predA = new Int32Array(n);
  const predB = new Int32Array(n);
  const idx = (name: string): number => {
    const i = index.get(name);
    if (i === undefined) throw new TimError(`predictions.csv: class '${name}' is not one of the run's classes`);
    return i;
  };
  for (let i = 0; i < n; i++) {
    const j = bByPath.get(a.paths[i] as string) as number;
    if (a.labels[i] !== b.labels[j]) return { paired: false, reason: `'${a.paths[i]}' has different true labels in the two runs` };
    yTrue[i] = idx(a.labels[i] as string);
    predA[i] = idx(a.preds[i] as string);
    predB[i] = idx(b.preds[j] as string);
  }
  return { paired: true, paths: [...a.paths], yTrue, predA, predB, numClasses: a.classes.length };
}

/** B − A in accuracy and macro-F1 (fractions), over the given image indices (default all). */
export function pairedDifference(p: Omit<PairedPredictions, 'paths'>, indices?: ArrayLike<number>): { accuracy: number; f1_macro: number } {
  let t = p.yTrue;
  let a = p.predA;
  let b = p.predB;
  if (indices) {
    const n = indices.length;
    t = new Int32Array(n);
    a = new Int32Array(n);
    b = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const j = indices[i] as number;
      t[i] = p.yTrue[j] as number;
      a[i] = p.predA[j] as number;
      b[i] = p.predB[j] as number;
    }
  }
  const ma = classificationMetrics(t, a, p.numClasses);
  const mb = classificationMetrics(t, b, p.numClasses);
  return { accuracy: mb.accuracy - ma.accuracy, f1_macro: mb.macro.f1 - ma.macro.f1 };
}

/** A difference B − A with its percentile interval. */
export interface DifferenceInterval {
  diff: number;
  lo: number;
  hi: number;
}

export interface PairedBootstrapOptions {
  resamples?: number;
  seed?: number;
  confidence?: number;
}

/** The percentile interval of per-resample differences (numpy's linear quantiles). */
export function differenceInterval(diff: number, resampled: readonly number[], confidence: number): DifferenceInterval {
  const sorted = resampled.slice().sort((x, y) => x - y);
  const alpha = (1 - confidence) / 2;
  return { diff, lo: quantileSorted(sorted, alpha), hi: quantileSorted(sorted, 1 - alpha) };
}

/**
 * Paired percentile bootstrap of B − A: each resample draws n images with replacement (seeded)
 * and scores both runs on that same draw, so what the two runs share cancels out.
 */
export function pairedBootstrap(p: PairedPredictions, opts: PairedBootstrapOptions = {}): { accuracy: DifferenceInterval; f1_macro: DifferenceInterval } {
  const resamples = opts.resamples ?? 1000;
  const seed = opts.seed ?? 0;
  const confidence = opts.confidence ?? 0.95;
  const n = p.yTrue.length;
  if (n === 0) throw new TimError('paired bootstrap: no images');
  if (!Number.isInteger(resamples) || resamples < 1) throw new TimError(`paired bootstrap: resamples must be a positive integer, got ${resamples}`);
  const rng = seedrandom(`tim-paired-bootstrap:${seed}`);
  const acc: number[] = [];
  const f1: number[] = [];
  const draw = new Int32Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) draw[i] = Math.floor(rng() * n);
    const d = pairedDifference(p, draw);
    acc.push(d.accuracy);
    f1.push(d.f1_macro);
  }
  const point = pairedDifference(p);
  return { accuracy: differenceInterval(point.accuracy, acc, confidence), f1_macro: differenceInterval(point.f1_macro, f1, confidence) };
}

/** Images only A got right and images only B got right: McNemar's discordant pairs. */
export function discordantCounts(p: Omit<PairedPredictions, 'paths'>): { onlyA: number; onlyB: number } {
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < p.yTrue.length; i++) {
    const ra = p.predA[i] === p.yTrue[i];
    const rb = p.predB[i] === p.yTrue[i];
    if (ra && !rb) onlyA++;
    else if (rb && !ra) onlyB++;
  }
  return { onlyA, onlyB };
}

/** The outcome for one pair of runs: B − A, or why they could not be paired. */
export type PairComparison =
  | {
      a: string;
      b: string;
      paired: true;
      images: number;
      accuracy: DifferenceInterval;
      f1_macro: DifferenceInterval;
      only_a: number;
      only_b: number;
      /** McNemar's exact two-sided p-value. */
      p: number;
      /** `p` after Holm's correction over every paired comparison made (equal to `p` for one pair). */
      p_adjusted: number;
      /** Whether p_adjusted < alpha. */
      differs: boolean;
      sentence: string;
    }
  | { a: string; b: string; paired: false; reason: string; sentence: string };

export interface PairwiseComparison {
  pairs: PairComparison[];
  /** 'holm' when more than two runs were compared (over the paired comparisons), else 'none'. */
  correction: 'holm' | 'none';
  /** How many paired tests the correction ran over. */
  tests: number;
  alpha: number;
  resamples: number;
  seed: number;
  confidence: number;
}

/** `+2.1`, `−0.4` (a true minus sign): a fraction as signed percentage points. */
export function signedPoints(fraction: number): string {
  const v = Math.round(fraction * 1000) / 10;
  if (v === 0) return '0.0';
  return `${v > 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;
}

/** `p = 0.11`, `p = 0.0042`, `p < 0.0001`, `p = 1`. */
export function formatP(p: number): string {
  if (p < 1e-4) return 'p < 0.0001';
  if (p >= 0.9995) return 'p = 1';
  return `p = ${p >= 0.01 ? p.toFixed(2) : p.toPrecision(2)}`;
}

function sentenceOf(c: Extract<PairComparison, { paired: true }>, correction: PairwiseComparison['correction'], tests: number): string {
  const ci = (d: DifferenceInterval): string => `${signedPoints(d.diff)} points [${signedPoints(d.lo)}, ${signedPoints(d.hi)}]`;
  const p = correction === 'holm' ? `${formatP(c.p_adjusted)} (Holm, ${tests} comparisons)` : formatP(c.p);
  const verdict = c.differs ? `shown to differ: ${c.only_b > c.only_a ? c.b : c.a} is more accurate` : 'not shown to differ';
  return `${c.b} − ${c.a}: ${ci(c.accuracy)}, ${p}: ${verdict} (macro-F1 ${ci(c.f1_macro)}; ${c.only_a} images right only in ${c.a}, ${c.only_b} only in ${c.b}, of ${c.images})`;
}

/**
 * Every pair (i < j) of the given runs, B = the later one. Pairs that share their images are
 * tested; with more than two runs the p-values are Holm-corrected over the tests made.
 */
export function comparePairs(
  runs: readonly { label: string; scored: ScoredImages }[],
  opts: PairedBootstrapOptions & { alpha?: number; pairs?: readonly [number, number][] } = {},
): PairwiseComparison {
  const alpha = opts.alpha ?? 0.05;
  const resamples = opts.resamples ?? 1000;
  const seed = opts.seed ?? 0;
  const confidence = opts.confidence ?? 0.95;
  const which: [number, number][] = opts.pairs ? opts.pairs.map(([i, j]) => [i, j]) : [];
  if (!opts.pairs) for (let i = 0; i < runs.length; i++) for (let j = i + 1; j < runs.length; j++) which.push([i, j]);
  const raw = which.map(([i, j]) => {
    const A = runs[i];
    const B = runs[j];
    if (!A || !B) throw new TimError(`compare: no run ${!A ? i : j} among ${runs.length}`);
    const pairing = pairRuns(A.scored, B.scored);
    if (!pairing.paired) return { a: A.label, b: B.label, paired: false as const, reason: pairing.reason };
    const boot = pairedBootstrap(pairing, { resamples, seed, confidence });
    const { onlyA, onlyB } = discordantCounts(pairing);
    return { a: A.label, b: B.label, paired: true as const, images: pairing.yTrue.length, ...boot, only_a: onlyA, only_b: onlyB, p: mcnemarExact(onlyA, onlyB) };
  });
  const tested = raw.filter((r) => r.paired);
  const correction: PairwiseComparison['correction'] = runs.length > 2 ? 'holm' : 'none';
  const adjusted = correction === 'holm' ? holmAdjust(tested.map((r) => r.p)) : tested.map((r) => r.p);
  let k = 0;
  const pairs: PairComparison[] = raw.map((r) => {
    if (!r.paired) return { ...r, sentence: `${r.b} and ${r.a} are not paired: ${r.reason}` };
    const p_adjusted = adjusted[k++] as number;
    const c = { ...r, p_adjusted, differs: p_adjusted < alpha, sentence: '' };
    c.sentence = sentenceOf(c, correction, tested.length);
    return c;
  });
  return { pairs, correction, tests: tested.length, alpha, resamples, seed, confidence };
}

/** Reads each run's predictions and compares every pair; `label` names a run in the sentences. */
export function compareRunDirs(runs: readonly { label: string; dir: string }[], opts: PairedBootstrapOptions & { alpha?: number; pairs?: readonly [number, number][] } = {}): PairwiseComparison {
  return comparePairs(
    runs.map((r) => ({ label: r.label, scored: readScoredImages(r.dir) })),
    opts,
  );
}

/** How the pairs were compared, in one paragraph. */
export function pairwiseMethod(c: PairwiseComparison): string {
  return `Paired on the same held-out images: B − A in percentage points with a paired bootstrap ${Math.round(c.confidence * 100)}% interval (${c.resamples} resamples, seed ${c.seed}); McNemar's exact test on the images exactly one of the two got right${c.correction === 'holm' ? `, Holm-corrected over ${c.tests} comparisons` : ''}; "differ" means p < ${c.alpha}.`;
}

/** The paired section of a Markdown comparison: a note on the method, then one line per pair. */
export function pairwiseMarkdown(c: PairwiseComparison): string {
  if (c.pairs.length === 0) return '';
  return ['## Paired comparisons', '', pairwiseMethod(c), '', ...c.pairs.map((p) => `- ${p.sentence}`), ''].join('\n');
}

/** One CSV row per pair. */
export function pairwiseRows(c: PairwiseComparison): (string | number)[][] {
  const header = ['a', 'b', 'paired', 'images', 'accuracy_diff', 'accuracy_diff_lo', 'accuracy_diff_hi', 'f1_macro_diff', 'f1_macro_diff_lo', 'f1_macro_diff_hi', 'only_a', 'only_b', 'mcnemar_p', 'p_adjusted', 'correction', 'differs', 'note'];
  const rows = c.pairs.map((p) =>
    p.paired
      ? [p.a, p.b, 'yes', p.images, p.accuracy.diff, p.accuracy.lo, p.accuracy.hi, p.f1_macro.diff, p.f1_macro.lo, p.f1_macro.hi, p.only_a, p.only_b, String(p.p), String(p.p_adjusted), c.correction, p.differs ? 'yes' : 'no', '']
      : [p.a, p.b, 'no', '', '', '', '', '', '', '', '', '', '', '', '', '', p.reason],
  );
  return [header, ...rows];
}
