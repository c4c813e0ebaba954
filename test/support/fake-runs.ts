import * as fs from 'fs';
import * as path from 'path';
import { configToYaml, parseConfig } from '../../src/config/load';
import type { TimConfig } from '../../src/config/schema';
import { REPORT_DATA_ID, type ReportChartData } from '../../notebooks-ts/lib/report-model';
import { confusionFile, HEADLINE_METRICS, historyFile, labelsFile, metricsFile, splitFile, summaryFile, type HistoryRecord } from '../../src/io/run-folder';
import { csvText } from '../../src/io/csv';

/**
 * Small run folders in the run-folder file formats (history.jsonl, summary.json,
 * metrics.json, confusion.csv, labels.json, config.yaml, split.json), for tests of sweeps
 * and reports that must not wait for real training.
 */

export const FAKE_CLASSES = ['Claude_Monet', 'Pablo_Picasso', 'Rembrandt', 'Vincent_van_Gogh'];

function lcg(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface FakeTrainOptions {
  epochs?: number;
  classes?: string[];
  /** Files per class in split.json (train gets four times as many as val). */
  perClass?: number;
}

export function fakeConfig(overrides: Record<string, unknown> = {}): TimConfig {
  return parseConfig({ name: 'fake', data: { root: 'data/none' }, model: { arch: 'tiny_cnn' }, ...overrides });
}

/** What training leaves: config.yaml, labels.json, split.json, history.jsonl, summary.json. */
export function writeFakeTraining(dir: string, config: TimConfig, opts: FakeTrainOptions = {}): void {
  const classes = opts.classes ?? FAKE_CLASSES;
  const epochs = opts.epochs ?? 5;
  const rand = lcg(config.seed + config.train.batch_size + (config.data.resize === 'stretch' ? 7 : 0));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.yaml'), configToYaml(config));
  labelsFile.write(path.join(dir, 'labels.json'), classes);
  const per = opts.perClass ?? 5;
  const items = (k: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({ path: `${classes[k]}/${classes[k]}_${i + 1}.${i % 3 === 0 ? 'png' : 'jpg'}`, label: k }));
  const train = classes.flatMap((_, k) => items(k, per * 4 + k));
  const val = classes.flatMap((_, k) => items(k, per + (k % 2)).map((it) => ({ ...it, path: it.path.replace(/_(\d+)\./, '_v$1.') })));
  splitFile.write(path.join(dir, 'split.json'), { root: config.data.root, seed: config.seed, val_fraction: config.data.val_fraction, classes, train, val });
  const lines: HistoryRecord[] = [];
  let best = { epoch: 1, value: -1 };
  for (let e = 1; e <= epochs; e++) {
    const trainAcc = Math.min(0.98, 0.3 + 0.6 * (1 - Math.exp(-e / 2)) + 0.03 * rand());
    const valAcc = Math.min(0.95, 0.25 + 0.5 * (1 - Math.exp(-e / 2)) + 0.05 * rand());
    if (valAcc > best.value) best = { epoch: e, value: valAcc };
    lines.push({
        epoch: e,
        train_loss: 1.4 * Math.exp(-e / 3) + 0.1 * rand(),
        train_acc: trainAcc,
        val_loss: 1.5 * Math.exp(-e / 4) + 0.2 + 0.1 * rand(),
        val_acc: valAcc,
        lr: { early: 1e-6, middle: 1e-5, head: 1e-3 },
        update_ratio: { early: 1e-4, middle: 1e-3, head: 0.1 },
        seconds: 10 + rand(),
        images_per_sec: 8 + rand(),
        num_tensors: 120,
        rss_mb: 800,
    });
  }
  historyFile.write(path.join(dir, 'history.jsonl'), lines);
  const last = lines[lines.length - 1];
  summaryFile.write(path.join(dir, 'summary.json'), {
      run_dir: dir,
      name: config.name,
      arch: config.model.arch,
      monitor: 'val_acc',
      best_epoch: best.epoch,
      best_value: best.value,
      stopped_epoch: epochs,
      stopped_early: false,
      interrupted: false,
      epochs_planned: epochs,
      backend: 'cpu',
      total_seconds: 12.5 * epochs,
      train_images: train.length,
      val_images: val.length,
      num_classes: classes.length,
      trained_groups: ['head'],
      micro_batch: config.train.batch_size,
      batch_norm_statistics: 'per batch',
      ema: null,
      final: last ? { train_loss: last.train_loss, train_acc: last.train_acc, val_loss: last.val_loss, val_acc: last.val_acc } : null,
  });
}

/** What evaluation leaves: metrics.json (with bootstrap intervals), predictions.csv and confusion.csv. */
export function writeFakeEvaluation(dir: string): void {
  const classes = JSON.parse(fs.readFileSync(path.join(dir, 'labels.json'), 'utf8')) as string[];
  const split = JSON.parse(fs.readFileSync(path.join(dir, 'split.json'), 'utf8')) as { val: { path: string; label: number }[] };
  // Seeded by the folder's name, so runs one setting or seed apart predict differently.
  const rand = lcg(split.val.length + classes.length + [...path.basename(dir)].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7));
  const n = classes.length;
  const confusion = classes.map(() => new Array<number>(n).fill(0));
  const predictions: (string | number)[][] = [['path', 'label', 'pred', 'confidence']];
  for (const item of split.val) {
    const pred = rand() < 0.7 ? item.label : Math.floor(rand() * n);
    (confusion[item.label] as number[])[pred] = ((confusion[item.label] as number[])[pred] ?? 0) + 1;
    predictions.push([item.path, classes[item.label] ?? '', classes[pred] ?? '', 0.5]);
  }
  const total = split.val.length;
  const correct = confusion.reduce((s, row, i) => s + (row[i] ?? 0), 0);
  const perClass = classes.map((name, i) => {
    const tp = confusion[i]?.[i] ?? 0;
    const support = (confusion[i] ?? []).reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((s, row) => s + (row[i] ?? 0), 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { class: name, precision, recall, f1, support };
  });
  const macro = (k: 'precision' | 'recall' | 'f1') => perClass.reduce((s, c) => s + c[k], 0) / n;
  const weighted = (k: 'precision' | 'recall' | 'f1') => perClass.reduce((s, c) => s + c[k] * c.support, 0) / total;
  const headline = {
    accuracy: correct / total,
    precision_weighted: weighted('precision'),
    recall_weighted: weighted('recall'),
    f1_weighted: weighted('f1'),
    precision_macro: macro('precision'),
    recall_macro: macro('recall'),
    f1_macro: macro('f1'),
  };
  const interval = (v: number) => ({ mean: v, lo: Math.max(0, v - 0.08), hi: Math.min(1, v + 0.07) });
  const intervals = Object.fromEntries(HEADLINE_METRICS.map((k) => [k, interval(headline[k])])) as Record<(typeof HEADLINE_METRICS)[number], ReturnType<typeof interval>>;
  const metrics = {
    ...headline,
    // Mean recall over the classes present.
    balanced_accuracy: perClass.filter((c) => c.support > 0).reduce((s, c, _, present) => s + c.recall / present.length, 0),
    top3_accuracy: Math.min(1, headline.accuracy + 0.2),
    ece: 0.05,
    ece_bins: 15,
    num_samples: total,
    num_classes: n,
    split: 'val' as const,
    data_root: 'data/none',
    tta: 'none' as const,
    preprocess: { image_size: 224, resize: 'letterbox' as const, mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] },
    per_class: perClass,
    bootstrap: { resamples: 200, seed: 0, sample_fraction: 1, sample_size: total, confidence: 0.95, method: 'percentile' as const, metrics: intervals },
    confusions: [{ true_label: classes[0] ?? '', pred_label: classes[1] ?? '', count: 2, rate: 0.4, examples: [`${classes[0]}/x.jpg`] }],
    evaluated_at: '2026-01-01T00:00:00.000Z',
  };
  fs.writeFileSync(path.join(dir, 'predictions.csv'), csvText(predictions, { numbers: 'full' }));
  metricsFile.write(path.join(dir, 'metrics.json'), metrics);
  fs.writeFileSync(path.join(dir, 'confusion.csv'), confusionFile.text({ labels: classes, matrix: confusion }));
}

/** A finished, evaluated fake run. */
export function writeFakeRun(dir: string, config: TimConfig = fakeConfig(), opts: FakeTrainOptions = {}): string {
  writeFakeTraining(dir, config, opts);
  writeFakeEvaluation(dir);
  return dir;
}

/** The data a report page carries for its charts. */
export function chartData(html: string): ReportChartData {
  const m = new RegExp(`<script type="application/json" id="${REPORT_DATA_ID}">(.*?)</script>`, 's').exec(html);
  if (!m?.[1]) throw new Error('the page has no chart data');
  return JSON.parse(m[1]) as ReportChartData;
}
