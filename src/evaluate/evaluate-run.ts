import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { readSplit } from '../data';
import { progressLine } from '../core/progress';
import type { DatasetItem } from '../data/types';
import { writeFileAtomic } from '../io/atomic';
import { checkOutputFolder, EVALUATION_FILES, EVALUATION_RULE, openOutputFolder } from '../io/output-folder';
import { calibrationFile, confusionFile, metricsFile, predictionsFile, RUN_FILES, type RunFolder } from '../io/run-folder';
import { disposeRun, loadRunForInference } from '../inference/inference-run';
import type { TtaMode } from '../inference/predict';
import { confusionPng } from './confusion-png';
import { externalItems } from './inputs';
import { predictItems } from './predict';
import { adjustProbabilities, classPriors } from '../train/logit-adjust';
import { metricsOfPredictions, predictionRows, type EvaluationFiles, type LogitAdjustRecord, type MetricsJson } from './report';
import { calibrationSection, detectionSection, knownScores, unknownSection, type CalibrationSection, type UnknownSection } from './confidence';
import { DEFAULT_KEEP } from './unknown';
import { reliabilitySvg } from './reliability';
import type { RunCalibration } from '../inference/calibration';
import type { ItemPredictions } from './predict';
import { unknownSetOf, type UnknownSet } from './unknown-set';

export { formatSummary, type MetricsJson, type PerClassMetricsRow } from './report';

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
  /**
   * Post-hoc logit adjustment: predict argmax(logits − tau·log pi), pi the run's training priors.
   * The output then goes to `logit-adjust-<tau>/` inside the default folder, beside the plain metrics.
   */
  logitAdjust?: number;
  /** A folder of paintings by artists the run does not know: report how well they are told apart. */
  unknown?: string;
  /** Share of the known artists' held-out images the unknown-artist threshold keeps (default 0.95). */
  keep?: number;
}

export interface EvaluationResult {
  runDir: string;
  outDir: string;
  metrics: EvaluatedMetrics;
  confusion: number[][];
  classes: string[];
  files: EvaluationFiles;
}

/** metrics.json with the calibration and unknown-artist sections evaluation adds. */
export type EvaluatedMetrics = MetricsJson & { calibration?: CalibrationSection; unknown?: UnknownSection };

function resolveDataRoot(root: string, runDir: string): string {
  const candidates = path.isAbsolute(root) ? [root] : [path.resolve(root), path.resolve(runDir, root)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new TimError(`${path.join(runDir, RUN_FILES.split)}: data root '${root}' not found (tried ${candidates.join(', ')})`);
  return found;
}

/** The items to evaluate: the run's held-out split, or an external folder. */
export function evaluationSet(run: RunFolder, labels: string[], data: string | undefined): { root: string; items: DatasetItem[]; split: 'val' | 'external' } {
  if (data) {
    const { items } = externalItems(data, labels);
    return { root: path.resolve(data), items, split: 'external' };
  }
  const split = readSplit(run.file('split'));
  if (!split.near_duplicates) {
    log.warn(`${run.file('split')}: made without the near-duplicate check, so copies of one painting may sit on both sides and inflate held-out figures (retrain to get a split that keeps them together)`);
  }
  // Labels in split.json index split.classes; map them by name onto the model's labels.
  const toModel = split.classes.map((c) => labels.indexOf(c));
  const missing = split.classes.filter((_, i) => toModel[i] === -1);
  if (missing.length) throw new TimError(`${run.file('split')}: classes not in ${RUN_FILES.labels}: ${missing.join(', ')}`);
  if (split.val.length === 0) throw new TimError(`${run.file('split')}: the validation split is empty`);
  const items = split.val.map((it) => ({ path: it.path, label: toModel[it.label] as number }));
  return { root: resolveDataRoot(split.root, run.dir), items, split: 'val' };
}

/** The class priors of the run's training split, in the model's label order. */
export function trainingPriors(run: RunFolder, labels: string[], what: string): number[] {
  const split = readSplit(run.file('split'));
  const toModel = split.classes.map((c) => labels.indexOf(c));
  return classPriors(split.train.map((it) => toModel[it.label] ?? -1), labels, `${what} (${run.file('split')})`);
}

/** What metrics.json records of a post-hoc adjustment: tau and each class's prior by name. */
function logitAdjustRecord(adjust: { tau: number; priors: readonly number[] }, labels: readonly string[]): LogitAdjustRecord {
  return { tau: adjust.tau, priors: Object.fromEntries(labels.map((l, i) => [l, adjust.priors[i] as number])) };
}

/**
 * Evaluates a run's `best/` model on its held-out split (or on an external folder), with the
 * preprocessing recorded in the run, and writes metrics.json, predictions.csv, confusion.csv
 * and confusion.png. Training images are never opened: only `split.json`'s `val` items are.
 */
export async function evaluateRun(runDir: string, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  const tau = opts.logitAdjust;
  const plainDir = opts.data ? path.join(runDir, `external-${path.basename(path.resolve(opts.data))}`) : runDir;
  const outDir = opts.out ?? (tau === undefined ? plainDir : path.join(plainDir, `logit-adjust-${tau}`));
  // Another folder than the run's own is refused before any work unless it is new or Tim's evaluation.
  const separate = path.resolve(outDir) !== path.resolve(runDir);
  if (separate) checkOutputFolder(outDir, 'external evaluation', { ...EVALUATION_RULE, adds: EVALUATION_FILES });
  const loaded = await loadRunForInference(runDir);
  const { folder: run, config, labels, spec } = loaded;
  const tta: TtaMode = opts.tta === 'flip' ? 'flip' : 'none';
  let adjust: { tau: number; priors: number[] } | undefined;
  let predicted;
  let set;
  let unknownSet: UnknownSet | undefined;
  let unknownPredicted: ItemPredictions | undefined;
  try {
    set = evaluationSet(run, labels, opts.data);
    adjust = tau === undefined ? undefined : { tau, priors: trainingPriors(run, labels, '--logit-adjust') };
    unknownSet = unknownSetOf(run, opts.unknown, set.split);
    const started = Date.now();
    const progress = opts.progress === false ? undefined : progressLine(`evaluate ${path.basename(run.dir)}`, set.items.length);
    predicted = await predictItems(loaded.tm.model, set.root, set.items, spec, {
      batchSize: opts.batchSize ?? config.train.batch_size,
      tta,
      onProgress: (done) => progress?.tick(done),
    });
    progress?.end();
    if (adjust) predicted = { ...predicted, probs: adjustProbabilities(predicted.probs, adjust.priors, adjust.tau) };
    if (unknownSet) {
      unknownPredicted = await predictItems(loaded.tm.model, unknownSet.root, unknownSet.items, spec, { batchSize: opts.batchSize ?? config.train.batch_size, tta });
    }
    if (opts.progress !== false) {
      const secs = (Date.now() - started) / 1000;
      log.info(`evaluated ${set.items.length} images in ${secs.toFixed(1)} s (${(set.items.length / Math.max(secs, 1e-3)).toFixed(1)} images/s${tta === 'flip' ? ', flip TTA' : ''})`);
    }
  } finally {
    disposeRun(loaded);
  }

  const { metrics: base, confusion } = metricsOfPredictions(predicted, labels, {
    split: set.split,
    dataRoot: set.root,
    tta,
    preprocess: spec,
    bootstrap: { resamples: opts.bootstrap ?? 1000, seed: opts.seed ?? 0, sampleFraction: opts.sampleFraction ?? 1 },
    topConfusions: opts.topConfusions,
    logitAdjust: adjust && logitAdjustRecord(adjust, labels),
  });
  const honest = confidenceSections(predicted, labels.length, loaded.calibration, {
    resamples: opts.bootstrap ?? 1000,
    seed: opts.seed ?? 0,
    keep: opts.keep ?? DEFAULT_KEEP,
    fitted: set.split === 'val',
    unknown: unknownSet && unknownPredicted ? { set: unknownSet, predicted: unknownPredicted } : undefined,
  });
  const metrics: EvaluatedMetrics = { ...base, ...honest };
  if (set.split === 'val' && honest.calibration && honest.unknown) {
    if (tta === 'none') {
      run.write(calibrationFile, {
        temperature: honest.calibration.temperature,
        unknown: { score: honest.unknown.score, threshold: honest.unknown.threshold, keep: honest.unknown.keep },
        fitted_on: { split: 'val', images: predicted.paths.length },
        written_at: new Date().toISOString(),
      });
    } else {
      log.info(`${RUN_FILES.calibration} not written: it is fitted without test-time augmentation, as predict runs`);
    }
  }

  if (separate) openOutputFolder(outDir, 'external evaluation', EVALUATION_FILES, EVALUATION_RULE);
  const files: EvaluationFiles = {
    metrics: path.join(outDir, RUN_FILES.metrics),
    predictions: path.join(outDir, RUN_FILES.predictions),
    confusion: path.join(outDir, RUN_FILES.confusion),
    confusionPng: path.join(outDir, RUN_FILES.confusionPng),
  };
  predictionsFile.write(files.predictions, predictionRows(predicted, labels));
  confusionFile.write(files.confusion, { labels, matrix: confusion });
  const adjusted = tau === undefined ? '' : `, logit-adjusted (tau ${tau})`;
  const title = `${config.name} — ${set.split === 'val' ? 'validation split' : `external: ${path.basename(set.root)}`} (n=${metrics.num_samples}${adjusted}), accuracy ${metrics.accuracy.toFixed(3)}`;
  writeFileAtomic(files.confusionPng, await confusionPng(confusion, labels, title));
  if (honest.calibration) {
    const c = honest.calibration;
    writeFileAtomic(path.join(outDir, RUN_FILES.reliability), reliabilitySvg(c.reliability.before, c.reliability.after, { before: c.before.ece.value, after: c.after.ece.value }));
    files.reliability = path.join(outDir, RUN_FILES.reliability);
  }
  // metrics.json last: its presence says the evaluation finished.
  metricsFile.write(files.metrics, metrics);
  return { runDir: run.dir, outDir, metrics, confusion, classes: labels, files };
}

/**
 * Calibration before and after temperature scaling, and the unknown-artist threshold with its
 * cross-fitted rejection rate. On the held-out split (`fitted`) both are fitted here; on an
 * external set the run's saved temperature and threshold are the ones measured, when it has them.
 */
function confidenceSections(
  predicted: ItemPredictions,
  k: number,
  saved: RunCalibration | undefined,
  opts: { resamples: number; seed: number; keep: number; fitted: boolean; unknown?: { set: UnknownSet; predicted: ItemPredictions } },
): { calibration?: CalibrationSection; unknown?: UnknownSection } {
  if (predicted.labels.length < 2 || k < 2) {
    log.warn('calibration needs at least 2 images and 2 classes; skipped');
    return {};
  }
  const useSaved = !opts.fitted && saved !== undefined;
  const keep = useSaved ? saved.unknown.keep : opts.keep;
  const conf = { resamples: opts.resamples, seed: opts.seed, keep };
  const calibration = calibrationSection(predicted.labels, predicted.logits, k, conf);
  const temperature = useSaved ? saved.temperature : calibration.temperature;
  const unknown = unknownSection(predicted.labels, predicted.logits, k, temperature, conf);
  if (useSaved) unknown.threshold = saved.unknown.threshold;
  if (opts.unknown && opts.unknown.predicted.paths.length > 0) {
    unknown.detection = detectionSection(
      knownScores(predicted.logits, k, temperature),
      knownScores(opts.unknown.predicted.logits, k, temperature),
      unknown.threshold,
      opts.unknown.set.source,
      conf,
    );
  }
  return { calibration, unknown };
}

