import { z } from 'zod';
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

const perGroupNumbers = z.object({ early: z.number(), middle: z.number(), head: z.number() }) satisfies z.ZodType<PerGroup<number>>;

/** One line of history.jsonl. Keys are a contract read by reports and sweeps. */
export const historyRecordSchema = z.looseObject({
  epoch: z.number(),
  train_loss: z.number(),
  train_acc: z.number(),
  val_loss: z.number(),
  val_acc: z.number(),
  /** Learning rate of each group at the epoch's first step (0 for groups that do not train). */
  lr: perGroupNumbers,
  /** ||w_end - w_start|| / ||w_start|| over the epoch, per group. */
  update_ratio: perGroupNumbers,
  seconds: z.number(),
  images_per_sec: z.number(),
  /**
   * Of the epoch's seconds (training and validation): those it waited for images to be decoded
   * or read from the cache, and those spent augmenting and normalising them on its own thread.
   * Absent from runs recorded before they were.
   */
  data_wait_seconds: z.number().optional(),
  data_prepare_seconds: z.number().optional(),
  num_tensors: z.number(),
  rss_mb: z.number(),
});
export type HistoryRecord = z.infer<typeof historyRecordSchema>;

export type Monitor = 'val_acc' | 'val_loss';

/** summary.json. */
export interface TrainSummary {
  run_dir: string;
  name: string;
  arch: string;
  monitor: Monitor;
  best_epoch: number;
  best_value: number;
  /** The last epoch that completed. */
  stopped_epoch: number;
  stopped_early: boolean;
  /** True when the run was interrupted (Ctrl-C) and can be continued with --resume. */
  interrupted: boolean;
  epochs_planned: number;
  backend: string;
  total_seconds: number;
  train_images: number;
  val_images: number;
  num_classes: number;
  trained_groups: string[];
  micro_batch: number;
  /** What BatchNorm's training statistics are computed over ('none': no BatchNorm layer trains in training mode). */
  batch_norm_statistics: 'per micro-batch' | 'per batch' | 'none';
  /** When set, validation, best/ and evaluation use this moving average of the weights (train.ema), not the trained weights. */
  ema: { decay: number; warmup: boolean } | null;
  final: { train_loss: number; train_acc: number; val_loss: number; val_acc: number } | null;
}
