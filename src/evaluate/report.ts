import * as path from 'path';
import type { PreprocessSpec } from '../data/types';
import { bootstrapMetrics, headlineOf, type BootstrapOptions } from './bootstrap';
import { topConfusions } from './confusions';
import { balancedAccuracy, classificationMetrics, ECE_BINS, expectedCalibrationError, rankClasses, topKAccuracy } from './metrics';
import type { TtaMode } from '../inference/predict';
import { rowOf, type ItemPredictions } from './predict';
import type { LogitAdjustRecord, MetricsFile, PredictionRow } from '../io/run-folder';

/** What evaluation reports, given the model's probabilities: metrics.json and predictions.csv. */

/** The content of metrics.json, as this version writes it. */
export type MetricsJson = MetricsFile & { balanced_accuracy: number };

export type { LogitAdjustRecord, PerClassMetricsRow } from '../io/run-folder';

/** Where the predictions came from, recorded with the metrics. */
export interface EvaluationContext {
  split: 'val' | 'external';
  dataRoot: string;
  tta: TtaMode;
  preprocess: PreprocessSpec;
  bootstrap?: BootstrapOptions;
  topConfusions?: number;
  logitAdjust?: LogitAdjustRecord;
}

/** Every metric of a set of predictions (arg-max of the probabilities), as in metrics.json. */
export function metricsOfPredictions(predicted: ItemPredictions, classes: string[], ctx: EvaluationContext): { metrics: MetricsJson; confusion: number[][] } {
  const { paths, labels: yTrue, probs } = predicted;
  const k = classes.length;
  const rows = paths.map((_, i) => rowOf(probs, k, i));
  const yPred = rows.map((r) => rankClasses(r)[0] as number);
  const m = classificationMetrics(yTrue, yPred, k);
  const metrics: MetricsJson = {
    ...headlineOf(m),
    balanced_accuracy: balancedAccuracy(m.confusion),
    top3_accuracy: topKAccuracy(yTrue, rows, 3),
    ece: expectedCalibrationError(yTrue, rows, ECE_BINS),
    ece_bins: ECE_BINS,
    num_samples: paths.length,
    num_classes: k,
    split: ctx.split,
    data_root: ctx.dataRoot,
    tta: ctx.tta,
    preprocess: ctx.preprocess,
    per_class: m.perClass.map((c, i) => ({ class: classes[i] ?? String(i), precision: c.precision, recall: c.recall, f1: c.f1, support: c.support })),
    ...(ctx.logitAdjust ? { logit_adjust: ctx.logitAdjust } : {}),
    bootstrap: bootstrapMetrics(yTrue, yPred, k, ctx.bootstrap),
    confusions: topConfusions(yTrue, yPred, paths, classes, { top: ctx.topConfusions ?? 10 }),
    evaluated_at: new Date().toISOString(),
  };
  return { metrics, confusion: m.confusion };
}

/** The rows of predictions.csv: each image's true and predicted class, confidence, and top-3 classes with probabilities. */
export function predictionRows(predicted: ItemPredictions, classes: string[]): PredictionRow[] {
  const { paths, labels, probs } = predicted;
  const k = classes.length;
  return paths.map((p, i) => {
    const row = rowOf(probs, k, i);
    const ranked = rankClasses(row);
    const pred = ranked[0] as number;
    const cells: PredictionRow = [p, classes[labels[i] as number] ?? '', classes[pred] ?? '', row[pred] ?? NaN];
    for (let r = 0; r < 3; r++) {
      const c = ranked[r];
      cells.push(c === undefined ? '' : (classes[c] ?? ''), c === undefined ? '' : (row[c] ?? NaN));
    }
    return cells;
  });
}

/** Where the output files of one evaluation went. */
export interface EvaluationFiles {
  metrics: string;
  predictions: string;
  confusion: string;
  confusionPng: string;
  /** reliability.svg, when calibration was measured. */
  reliability?: string;
}

/** A few lines for the terminal: headline metrics with intervals and the top confusions. */
export function formatSummary(result: { runDir: string; outDir: string; metrics: MetricsJson; files: EvaluationFiles }, confusions = 5): string {
  const m = result.metrics;
  const b = m.bootstrap.metrics;
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  const ci = (key: keyof typeof b): string => `[${pct(b[key].lo)}, ${pct(b[key].hi)}]`;
  const lines = [
    `${result.runDir}: ${m.split === 'val' ? 'validation split' : `external set ${m.data_root}`}, ${m.num_samples} images, ${m.num_classes} classes${m.tta === 'flip' ? ', TTA flip' : ''}${m.logit_adjust ? `, logit-adjusted (tau ${m.logit_adjust.tau})` : ''}`,
    `  accuracy     ${pct(m.accuracy)}  ${ci('accuracy')}, balanced accuracy ${pct(m.balanced_accuracy)}`,
    `  F1 weighted  ${pct(m.f1_weighted)}  ${ci('f1_weighted')}`,
    `  F1 macro     ${pct(m.f1_macro)}  ${ci('f1_macro')}`,
    `  precision (weighted) ${pct(m.precision_weighted)}, recall (weighted) ${pct(m.recall_weighted)}`,
    `  top-3 accuracy ${pct(m.top3_accuracy)}, ECE (${m.ece_bins} bins) ${m.ece.toFixed(3)}`,
    `  ${Math.round(m.bootstrap.confidence * 100)}% intervals: percentile bootstrap, ${m.bootstrap.resamples} resamples of ${m.bootstrap.sample_size}, seed ${m.bootstrap.seed}`,
  ];
  const top = m.confusions.slice(0, confusions);
  if (top.length) {
    lines.push('  most common confusions (true -> predicted):');
    for (const c of top) lines.push(`    ${c.count}× ${c.true_label} -> ${c.pred_label} (${pct(c.rate)} of ${c.true_label}), e.g. ${c.examples[0] ?? ''}`);
  }
  lines.push(`  wrote ${[result.files.metrics, result.files.predictions, result.files.confusion, result.files.confusionPng, ...(result.files.reliability ? [result.files.reliability] : [])].map((f) => path.basename(f)).join(', ')} to ${result.outDir}`);
  return lines.join('\n');
}
