/**
 * The data a report page carries for its charts. Types only: shared by the generators (Node)
 * and the page script (browser bundle).
 */
export interface CurvePoint {
  epoch: number;
  train_loss: number;
  val_loss: number;
  train_acc: number;
  val_acc: number;
}

export interface RunChartData {
  name: string;
  history: CurvePoint[];
  bestEpoch?: number;
  confusion?: { labels: string[]; matrix: number[][] };
}

/** One row of an interval (forest) plot. */
export interface IntervalPoint {
  name: string;
  value: number;
  lo?: number;
  hi?: number;
}

export interface DatasetChartData {
  classes: { name: string; train: number; val: number }[];
  aspectRatios: number[];
}

export interface ReportChartData {
  runs: RunChartData[];
  /** Forest plots keyed by metric (accuracy, f1_macro, ...). */
  intervals: Record<string, IntervalPoint[]>;
  datasets: DatasetChartData[];
}

/** Chart kinds a `data-chart` element may ask for. */
export type ChartKind = 'loss' | 'acc' | 'confusion' | 'overlay-val_acc' | 'overlay-val_loss' | 'class-counts' | 'aspect' | 'intervals';

/** The id of the JSON element holding ReportChartData. */
export const REPORT_DATA_ID = 'tim-report-data';
