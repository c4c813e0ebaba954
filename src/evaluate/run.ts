import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { preprocessSpecOf, readSplit } from '../data';
import { progressLine } from '../data/concurrency';
import type { DatasetItem, PreprocessSpec } from '../data/types';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic';
import { openRunFolder, RUN_FILES, type RunFolder } from '../io/run-folder';
import { loadTimModel } from '../models';
import { bootstrapMetrics, type BootstrapResult, type HeadlineMetrics } from './bootstrap';
import { confusionPng } from './confusion-png';
import { topConfusions, type Confusion } from './confusions';
import { confusionCsv, csvText } from './csv';
import { externalItems } from './inputs';
import { classificationMetrics, ECE_BINS, expectedCalibrationError, rankClasses, topKAccuracy } from './metrics';
import { predictItems, rowOf, type TtaMode } from './predict';

export interface EvaluateOptions {
  /** Bootstrap resamples (default 1000). */
  bootstrap?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** Bootstrap resample size as a fraction of the held-out set (default 1; the reference used 0.2). */
  sampleFraction?: number;
  tta?: 'flip' | 'none';
  /** Evaluate on this image folder (one sub-folder per class, matched by name) instead of the split. */
  data?: string;
  /** Where to write the output files; default the run folder, or `<run>/external-<name>/` with `data`. */
  out?: string;
  /** Images per forward pass (default the run's train.batch_size). */
  batchSize?: number;
  /** How many top confusions to keep (default 10). */
  topConfusions?: number;
  /** Progress on stderr (default true). */
  progress?: boolean;
}

export interface PerClassMetricsRow {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** The content of metrics.json. */
export interface MetricsJson extends HeadlineMetrics {
  top3_accuracy: number;
  ece: number;
  ece_bins: number;
  num_samples: number;
  num_classes: number;
  split: 'val' | 'external';
  data_root: string;
  tta: TtaMode;
  preprocess: PreprocessSpec;
  per_class: PerClassMetricsRow[];
  bootstrap: BootstrapResult;
  confusions: Confusion[];
  evaluated_at: string;
}

export interface EvaluationResult {
  runDir: string;
  outDir: string;
  metrics: MetricsJson;
  confusion: number[][];
  classes: string[];
  files: { metrics: string; predictions: string; confusion: string; confusionPng: string };
}

function resolveDataRoot(root: string, runDir: string): string {
  const candidates = path.isAbsolute(root) ? [root] : [path.resolve(root), path.resolve(runDir, root)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new TimError(`${path.join(runDir, RUN_FILES.split)}: data root '${root}' not found (tried ${candidates.join(', ')})`);
  return found;
}

/** The items to evaluate: the run's held-out split, or an external folder. */
function evaluationSet(run: RunFolder, labels: string[], data: string | undefined): { root: string; items: DatasetItem[]; split: 'val' | 'external' } {
  if (data) {
    const { items } = externalItems(data, labels);
    return { root: path.resolve(data), items, split: 'external' };
  }
  const split = readSplit(run.file('split'));
  // Labels in split.json index split.classes; map them by name onto the model's labels.
  const toModel = split.classes.map((c) => labels.indexOf(c));
  const missing = split.classes.filter((_, i) => toModel[i] === -1);
  if (missing.length) throw new TimError(`${run.file('split')}: classes not in ${RUN_FILES.labels}: ${missing.join(', ')}`);
  if (split.val.length === 0) throw new TimError(`${run.file('split')}: the validation split is empty`);
  const items = split.val.map((it) => ({ path: it.path, label: toModel[it.label] as number }));
  return { root: resolveDataRoot(split.root, run.dir), items, split: 'val' };
}

function predictionsCsv(paths: string[], labels: number[], probs: Float32Array, classes: string[]): string {
  const k = classes.length;
  const rows: Array<Array<string | number>> = [['path', 'label', 'pred', 'confidence', 'top1', 'top1_prob', 'top2', 'top2_prob', 'top3', 'top3_prob']];
  paths.forEach((p, i) => {
    const row = rowOf(probs, k, i);
    const ranked = rankClasses(row);
    const pred = ranked[0] as number;
    const cells: Array<string | number> = [p, classes[labels[i] as number] ?? '', classes[pred] ?? '', row[pred] as number];
    for (let r = 0; r < 3; r++) {
      const c = ranked[r];
      cells.push(c === undefined ? '' : (classes[c] ?? ''), c === undefined ? '' : (row[c] as number));
    }
    rows.push(cells);
  });
  return csvText(rows);
}

/**
 * Evaluates a run's `best/` model on its held-out split (or on an external folder), with the
 * preprocessing recorded in the run, and writes metrics.json, predictions.csv, confusion.csv
 * and confusion.png. Training images are never opened: only `split.json`'s `val` items are.
 */
export async function evaluateRun(runDir: string, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  const run = openRunFolder(runDir);
  const config = run.config();
  const labels = run.labels();
  const spec = preprocessSpecOf(config);
  const tta: TtaMode = opts.tta === 'flip' ? 'flip' : 'none';
  const set = evaluationSet(run, labels, opts.data);
  const outDir = opts.out ?? (opts.data ? path.join(run.dir, `external-${path.basename(path.resolve(opts.data))}`) : run.dir);

  const tm = await loadTimModel(run.file('best'));
  const model = tm.model;
  let predicted;
  try {
    const outputs = model.outputs[0]?.shape.at(-1);
    if (outputs !== labels.length) {
      throw new TimError(`${run.file('best')}: the model has ${String(outputs)} outputs but ${RUN_FILES.labels} lists ${labels.length} classes`);
    }
    const started = Date.now();
    const progress = opts.progress === false ? undefined : progressLine(`evaluate ${path.basename(run.dir)}`, set.items.length);
    predicted = await predictItems(model, set.root, set.items, spec, {
      batchSize: opts.batchSize ?? config.train.batch_size,
      tta,
      onProgress: (done) => progress?.tick(done),
    });
    progress?.end();
    if (opts.progress !== false) {
      const secs = (Date.now() - started) / 1000;
      log.info(`evaluated ${set.items.length} images in ${secs.toFixed(1)} s (${(set.items.length / Math.max(secs, 1e-3)).toFixed(1)} images/s${tta === 'flip' ? ', flip TTA' : ''})`);
    }
  } finally {
    model.dispose();
  }

  const { paths, labels: yTrue, probs } = predicted;
  const k = labels.length;
  const rows = paths.map((_, i) => rowOf(probs, k, i));
  const yPred = rows.map((r) => rankClasses(r)[0] as number);
  const m = classificationMetrics(yTrue, yPred, k);
  const boot = bootstrapMetrics(yTrue, yPred, k, { resamples: opts.bootstrap ?? 1000, seed: opts.seed ?? 0, sampleFraction: opts.sampleFraction ?? 1 });
  const confusions = topConfusions(yTrue, yPred, paths, labels, { top: opts.topConfusions ?? 10 });
  const metrics: MetricsJson = {
    accuracy: m.accuracy,
    precision_weighted: m.weighted.precision,
    recall_weighted: m.weighted.recall,
    f1_weighted: m.weighted.f1,
    precision_macro: m.macro.precision,
    recall_macro: m.macro.recall,
    f1_macro: m.macro.f1,
    top3_accuracy: topKAccuracy(yTrue, rows, 3),
    ece: expectedCalibrationError(yTrue, rows, ECE_BINS),
    ece_bins: ECE_BINS,
    num_samples: paths.length,
    num_classes: k,
    split: set.split,
    data_root: set.root,
    tta,
    preprocess: spec,
    per_class: m.perClass.map((c, i) => ({ class: labels[i] ?? String(i), precision: c.precision, recall: c.recall, f1: c.f1, support: c.support })),
    bootstrap: boot,
    confusions,
    evaluated_at: new Date().toISOString(),
  };

  fs.mkdirSync(outDir, { recursive: true });
  const files = {
    metrics: path.join(outDir, RUN_FILES.metrics),
    predictions: path.join(outDir, RUN_FILES.predictions),
    confusion: path.join(outDir, RUN_FILES.confusion),
    confusionPng: path.join(outDir, RUN_FILES.confusionPng),
  };
  writeFileAtomic(files.predictions, predictionsCsv(paths, yTrue, probs, labels));
  writeFileAtomic(files.confusion, confusionCsv(m.confusion, labels));
  const title = `${config.name} — ${set.split === 'val' ? 'validation split' : `external: ${path.basename(set.root)}`} (n=${paths.length}), accuracy ${m.accuracy.toFixed(3)}`;
  writeFileAtomic(files.confusionPng, await confusionPng(m.confusion, labels, title));
  // metrics.json last: its presence says the evaluation finished.
  writeJsonAtomic(files.metrics, metrics);
  return { runDir: run.dir, outDir, metrics, confusion: m.confusion, classes: labels, files };
}

/** A few lines for the terminal: headline metrics with intervals and the top confusions. */
export function formatSummary(result: EvaluationResult, confusions = 5): string {
  const m = result.metrics;
  const b = m.bootstrap.metrics;
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  const ci = (key: keyof typeof b): string => `[${pct(b[key].lo)}, ${pct(b[key].hi)}]`;
  const lines = [
    `${result.runDir}: ${m.split === 'val' ? 'validation split' : `external set ${m.data_root}`}, ${m.num_samples} images, ${m.num_classes} classes${m.tta === 'flip' ? ', TTA flip' : ''}`,
    `  accuracy     ${pct(m.accuracy)}  ${ci('accuracy')}`,
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
  lines.push(`  wrote ${[result.files.metrics, result.files.predictions, result.files.confusion, result.files.confusionPng].map((f) => path.basename(f)).join(', ')} to ${result.outDir}`);
  return lines.join('\n');
}
