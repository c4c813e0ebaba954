import * as fs from 'fs';
import * as path from 'path';
import type { z } from 'zod';
import { oneLine } from '../core/errors';
import { readRunConfig } from '../config/load';
import type { TimConfig } from '../config/schema';
import {
  confusionFile,
  historyFile,
  labelsFile,
  metricsFile,
  RUN_FILES,
  splitFile,
  summaryFile,
  type BootstrapInterval,
  type ConfusionTable,
  type HistoryRecord,
  type JsonFile,
  type MetricsFile,
  type SplitManifest,
  type TrainSummary,
} from '../io/run-folder';
import { MODEL_JSON } from '../io/model-io';

/**
 * Everything reports and sweep summaries read from a run folder, read tolerantly: a run that
 * is still training, failed, or was never evaluated still shows what it has.
 */

export interface RunData {
  dir: string;
  name: string;
  config?: TimConfig;
  history: HistoryRecord[];
  summary?: TrainSummary;
  metrics?: MetricsFile;
  confusion?: ConfusionTable;
  labels?: string[];
  split?: SplitManifest;
  hasBest: boolean;
  /** Problems met while reading (a broken file is reported, not fatal). */
  problems: string[];
}

/** Whether summary.json is there and says training was not interrupted. */
function trainingCompleted(dir: string): boolean {
  const summary = summaryFile.readIfUsable(path.join(dir, RUN_FILES.summary), () => undefined);
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

/** The bootstrap interval of a headline metric, when the run was evaluated. */
export function intervalOf(metrics: MetricsFile | undefined, key: string): BootstrapInterval | undefined {
  const intervals: Partial<Record<string, BootstrapInterval>> = metrics?.bootstrap.metrics ?? {};
  return intervals[key];
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
  const usable = <S extends z.ZodType>(f: JsonFile<S>): z.output<S> | undefined => f.readIfUsable(path.join(dir, f.name), (problem) => problems.push(problem));
  return {
    dir,
    name: path.basename(path.resolve(dir)),
    config,
    // A damaged line (one cut short by an interruption) is reported in `problems` and skipped.
    history: historyFile.read(file('history'), (problem) => problems.push(problem)),
    summary: usable(summaryFile),
    metrics: usable(metricsFile),
    confusion: confusionFile.read(file('confusion')),
    labels: usable(labelsFile),
    split: usable(splitFile),
    hasBest: fs.existsSync(path.join(dir, RUN_FILES.best, MODEL_JSON)),
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
