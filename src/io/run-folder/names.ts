/** Default parent of run folders. */
export const CHECKPOINTS_DIR = 'checkpoints';

/**
 * The files of a run folder. Names are a contract other tools read; add, never rename.
 * Every step after training reads the split and preprocessing from here.
 */
export const RUN_FILES = {
  config: 'config.yaml',
  labels: 'labels.json',
  split: 'split.json',
  history: 'history.jsonl',
  summary: 'summary.json',
  best: 'best',
  last: 'last',
  metrics: 'metrics.json',
  predictions: 'predictions.csv',
  confusion: 'confusion.csv',
  confusionPng: 'confusion.png',
  faithfulness: 'faithfulness.json',
  /** Written by `tim average`: the runs whose weights the run's best/ averages. */
  average: 'average.json',
  /** Written when the run is created; only Tim writes it, so `--force` knows a run from a folder that merely holds a config.yaml. */
  marker: '.tim-run.json',
  calibration: 'calibration.json',
  reliability: 'reliability.svg',
} as const;

export type RunFileKey = keyof typeof RUN_FILES;
