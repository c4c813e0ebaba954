import type { Batch } from '../data/types';
import type { GroupName } from '../models/types';

/**
 * Anything that yields the batches of one epoch. The data area's Loader satisfies it;
 * `batches(epoch)` must be a pure function of the loader's seed and `epoch`, so that a resumed
 * run sees the same shuffles and the same augmentation as an uninterrupted one.
 */
export interface BatchSource {
  /** Images per epoch (after any cap). */
  size: number;
  numBatches: number;
  batches(epoch: number): AsyncIterable<Batch>;
}

export type PerGroup<T> = Record<GroupName, T>;

/** A line of history.jsonl and summary.json, as the run folder defines them. */
export type { HistoryRecord, Monitor, TrainSummary } from '../io/run-folder';


