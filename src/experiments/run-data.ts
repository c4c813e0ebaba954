import * as fs from 'fs';
import * as path from 'path';
import { oneLine } from '../core/errors';
import { readRunConfig } from '../config/load';
import type { TimConfig } from '../config/schema';
import { z } from 'zod';
import { splitManifestSchema, type SplitManifest } from '../data/types';
import { readJsonFileIfUsable, readJsonLines } from '../io/json-file';
import { labelsFileSchema, summaryFileSchema } from '../io/run-file-schemas';
import { historyRecordSchema } from '../train/types';
import { RUN_FILES } from '../io/run-folder';
import { HEADLINE_METRICS } from '../evaluate/bootstrap';
import { parseCsv } from '../io/csv';

/**
 * Everything reports and sweep summaries read from a run folder, read tolerantly: a run that
 * is still training, failed, or was never evaluated still shows what it has.
 */

/** One line of history.jsonl (the training contract), read tolerantly: older runs gave one `lr` and fewer keys. */
export const historyLineSchema = historyRecordSchema.extend({
  lr: z.union([z.record(z.string(), z.number()), z.number()]).optional(),
  update_ratio: z.record(z.string(), z.number()).optional(),
  seconds: z.number().optional(),
  images_per_sec: z.number().optional(),
  num_tensors: z.number().optional(),
  rss_mb: z.number().optional(),
});
export type HistoryLine = z.infer<typeof historyLineSchema>;

export interface Interval {
  mean: number;
  lo: number;
  hi: number;
}

export interface PerClassRow {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ConfusionPair {
  trueLabel: string;
  predLabel: string;
  count: number;
  examples: string[];
}

/** metrics.json as written by evaluation; only the headline keys are relied on. */
const runMetricsSchema = z.looseObject({
  accuracy: z.number().optional(),
  balanced_accuracy: z.number().optional(),
  precision_weighted: z.number().optional(),
  recall_weighted: z.number().optional(),
  f1_weighted: z.number().optional(),
  precision_macro: z.number().optional(),
  recall_macro: z.number().optional(),
  f1_macro: z.number().optional(),
  top3_accuracy: z.number().optional(),
  ece: z.number().optional(),
});
export type RunMetrics = z.infer<typeof runMetricsSchema>;

const summaryRecordSchema = z.record(z.string(), z.unknown());

export interface ConfusionTable {
  labels: string[];
  matrix: number[][];
}

export interface RunData {
  dir: string;
  name: string;
  config?: TimConfig;
  history: HistoryLine[];
  summary?: Record<string, unknown>;
  metrics?: RunMetrics;
  confusion?: ConfusionTable;
  labels?: string[];
  split?: SplitManifest;
  hasBest: boolean;
  /** Problems met while reading (a broken file is reported, not fatal). */
  problems: string[];
}

/** The headline metrics, each with a bootstrap interval in metrics.json. */
export const HEADLINE_KEYS = HEADLINE_METRICS;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Whether summary.json is there and says training was not interrupted. */
function trainingCompleted(dir: string): boolean {
  const summary = readJsonFileIfUsable(path.join(dir, RUN_FILES.summary), summaryFileSchema, () => undefined);
  return summary !== undefined && summary.interrupted !== true;
}

/** A run is finished when training completed (not interrupted) and evaluation wrote its metrics. */
export function isFinishedRun(dir: string): boolean {
  return fs.existsSync(path.join(dir, RUN_FILES.metrics)) && trainingCompleted(dir);
}

/** Whether training finished (summary.json present and not interrupted); evaluation may still be missing. */
export function isTrainedRun(dir: string): boolean {
  return trainingCompleted(dir);
}

/** The lines of history.jsonl; a damaged line (one cut short by an interruption) is reported in `problems` and skipped. */
export function readHistory(file: string, problems: string[] = []): HistoryLine[] {
  return readJsonLines(file, historyLineSchema, (problem) => problems.push(problem));
}

/** confusion.csv: a header of predicted class names, then one row per true class. */
export function readConfusionCsv(file: string): ConfusionTable | undefined {
  if (!fs.existsSync(file)) return undefined;
  const rows = parseCsv(fs.readFileSync(file, 'utf8')).filter((r) => !(r.length === 1 && r[0] === ''));
  const header = rows[0];
  if (!header || header.length < 2) return undefined;
  const labels = header.slice(1);
  const matrix = rows.slice(1).map((r) => r.slice(1).map((c) => Number(c) || 0));
  return { labels, matrix };
}

/** The bootstrap interval of a headline metric, if evaluation recorded one. */
export function intervalOf(metrics: RunMetrics | undefined, key: string): Interval | undefined {
  const boot = metrics?.bootstrap;
  if (!isRecord(boot)) return undefined;
  const entry = isRecord(boot.metrics) ? boot.metrics[key] : boot[key];
  if (!isRecord(entry)) return undefined;
  const pair = Array.isArray(entry.ci) ? entry.ci : Array.isArray(entry.interval) ? entry.interval : undefined;
  const lo = num(entry.lo) ?? num(entry.low) ?? num(entry.lower) ?? num(pair?.[0]);
  const hi = num(entry.hi) ?? num(entry.high) ?? num(entry.upper) ?? num(pair?.[1]);
  const mean = num(entry.mean) ?? num(metrics?.[key]);
  if (lo === undefined || hi === undefined || mean === undefined) return undefined;
  return { mean, lo, hi };
}

/** per_class as rows, whether evaluation wrote a list or a mapping keyed by class name. */
export function perClassRows(metrics: RunMetrics | undefined, labels: readonly string[] = []): PerClassRow[] {
  const pc = metrics?.per_class;
  const rows: PerClassRow[] = [];
  const push = (name: string, v: unknown): void => {
    if (!isRecord(v)) return;
    rows.push({
      name,
      precision: num(v.precision) ?? NaN,
      recall: num(v.recall) ?? NaN,
      f1: num(v.f1) ?? num(v.f1_score) ?? NaN,
      support: num(v.support) ?? 0,
    });
  };
  if (Array.isArray(pc)) {
    pc.forEach((v, i) => {
      const r = isRecord(v) ? v : {};
      const name = typeof r.class === 'string' ? r.class : typeof r.name === 'string' ? r.name : typeof r.label === 'string' ? r.label : (labels[i] ?? String(i));
      push(name, v);
    });
  } else if (isRecord(pc)) {
    for (const [name, v] of Object.entries(pc)) push(name, v);
  }
  return rows;
}

/** The most common confusions recorded by evaluation. */
export function confusionPairs(metrics: RunMetrics | undefined): ConfusionPair[] {
  const list = metrics?.confusions;
  if (!Array.isArray(list)) return [];
  const str = (...vs: unknown[]): string => {
    const s = vs.find((v) => typeof v === 'string' || typeof v === 'number');
    return s === undefined ? '?' : String(s);
  };
  return list.filter(isRecord).map((c) => ({
    trueLabel: str(c.true, c.true_label, c.actual, c.label),
    predLabel: str(c.pred, c.pred_label, c.predicted),
    count: num(c.count) ?? 0,
    examples: (Array.isArray(c.examples) ? c.examples : Array.isArray(c.files) ? c.files : []).filter((e): e is string => typeof e === 'string'),
  }));
}

/** A number from summary.json, trying the given keys in order. */
export function summaryNumber(run: RunData, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = num(run.summary?.[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Reads what there is of a run folder. */
export function readRunData(dir: string): RunData {
  const problems: string[] = [];
  const file = (k: keyof typeof RUN_FILES): string => path.join(dir, RUN_FILES[k]);
  let config: TimConfig | undefined;
  if (fs.existsSync(file('config'))) {
    try {
      config = readRunConfig(file('config'));
    } catch (e) {
      problems.push(oneLine(e));
    }
  }
  const usable = <S extends z.ZodType>(key: keyof typeof RUN_FILES, schema: S): z.output<S> | undefined => readJsonFileIfUsable(file(key), schema, (problem) => problems.push(problem));
  return {
    dir,
    name: path.basename(path.resolve(dir)),
    config,
    history: readHistory(file('history'), problems),
    summary: usable('summary', summaryRecordSchema),
    metrics: usable('metrics', runMetricsSchema),
    confusion: readConfusionCsv(file('confusion')),
    labels: usable('labels', labelsFileSchema),
    split: usable('split', splitManifestSchema),
    hasBest: fs.existsSync(path.join(dir, RUN_FILES.best, 'model.json')),
    problems,
  };
}

/** Sub-folders of `parent` that look like run folders (they hold a config.yaml). */
export function listRunDirs(parent: string): string[] {
  if (!fs.existsSync(parent)) return [];
  return fs
    .readdirSync(parent, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => path.join(parent, d.name))
    .filter((d) => fs.existsSync(path.join(d, RUN_FILES.config)))
    .sort();
}
