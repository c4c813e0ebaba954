import * as fs from 'fs';
import { TimError } from '../../core/errors';
import { csvText, parseCsv, type CsvValue } from '../csv';
import { writeFileAtomic } from '../atomic';
import { RUN_FILES } from './names';

/** The CSV files `tim evaluate` writes beside metrics.json. */

function rowsOf(file: string): string[][] {
  return parseCsv(fs.readFileSync(file, 'utf8')).filter((r) => !(r.length === 1 && r[0] === ''));
}

/** confusion.csv: a header of predicted class names, then one row of counts per true class. */
export interface ConfusionTable {
  labels: string[];
  matrix: number[][];
}

const CONFUSION_CORNER = 'true\\pred';

export const confusionFile = {
  name: RUN_FILES.confusion,
  text(table: ConfusionTable): string {
    return csvText([[CONFUSION_CORNER, ...table.labels], ...table.matrix.map((row, i) => [table.labels[i] ?? String(i), ...row])]);
  },
  write(file: string, table: ConfusionTable): void {
    writeFileAtomic(file, confusionFile.text(table));
  },
  /** The table, or undefined when the file is missing or has no class columns. */
  read(file: string): ConfusionTable | undefined {
    if (!fs.existsSync(file)) return undefined;
    const rows = rowsOf(file);
    const header = rows[0];
    if (!header || header.length < 2) return undefined;
    return { labels: header.slice(1), matrix: rows.slice(1).map((r) => r.slice(1).map((c) => Number(c) || 0)) };
  },
};

/**
 * predictions.csv: one row per evaluated image, its path as in the split, its true and predicted
 * class names, the predicted class's probability, and the top three classes with theirs.
 */
export const PREDICTIONS_COLUMNS = ['path', 'label', 'pred', 'confidence', 'top1', 'top1_prob', 'top2', 'top2_prob', 'top3', 'top3_prob'] as const;

/** One row: the path, true and predicted class, confidence, then up to three (class, probability) pairs ('' where fewer classes). */
export type PredictionRow = [string, string, string, number, ...CsvValue[]];

/** What the paired comparisons read back of predictions.csv. */
export interface RecordedPredictions {
  paths: string[];
  /** True class names, in the order of `paths`. */
  labels: string[];
  /** Predicted class names. */
  preds: string[];
}

export const predictionsFile = {
  name: RUN_FILES.predictions,
  text(rows: readonly PredictionRow[]): string {
    return csvText([[...PREDICTIONS_COLUMNS], ...rows]);
  },
  write(file: string, rows: readonly PredictionRow[]): void {
    writeFileAtomic(file, predictionsFile.text(rows));
  },
  /** The path, true and predicted class of each row; `again` says how to write the file anew. */
  read(file: string, again: string): RecordedPredictions {
    if (!fs.existsSync(file)) throw new TimError(`${file}: missing; ${again}`);
    const rows = rowsOf(file);
    const header = rows[0] ?? [];
    const col = (name: (typeof PREDICTIONS_COLUMNS)[number]): number => {
      const i = header.indexOf(name);
      if (i < 0) throw new TimError(`${file}: no '${name}' column (expected ${PREDICTIONS_COLUMNS.slice(0, 3).join(',')},...)`);
      return i;
    };
    const [ip, il, iq] = [col('path'), col('label'), col('pred')];
    const body = rows.slice(1);
    return { paths: body.map((r) => r[ip] ?? ''), labels: body.map((r) => r[il] ?? ''), preds: body.map((r) => r[iq] ?? '') };
  },
};
