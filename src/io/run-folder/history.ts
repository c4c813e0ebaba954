import { z } from 'zod';
import { figure, jsonLinesFile } from './json-file';
import { RUN_FILES } from './names';

/** The three parameter groups, each with its own learning rate (`src/models/types.ts` names them). */
const perGroupNumbers = z.object({ early: z.number(), middle: z.number(), head: z.number() });

/**
 * One line of history.jsonl, appended by training at the end of each epoch. Keys are a
 * contract read by reports, sweeps, `compare` and `average`.
 */
export const historyRecordSchema = z.looseObject({
  epoch: z.number(),
  train_loss: figure,
  train_acc: figure,
  val_loss: figure,
  val_acc: figure,
  /** Learning rate of each group at the epoch's first step (0 for groups that do not train). */
  lr: perGroupNumbers,
  /** ||w_end - w_start|| / ||w_start|| over the epoch, per group. */
  update_ratio: perGroupNumbers,
  seconds: z.number(),
  images_per_sec: z.number(),
  /**
   * Of the epoch's seconds (training and validation): those it waited for images to be decoded
   * or read from the cache, and those spent augmenting and normalising them on its own thread.
   * Absent from runs recorded before 2026-12-01 (4276b6a).
   */
  data_wait_seconds: z.number().optional(),
  data_prepare_seconds: z.number().optional(),
  num_tensors: z.number(),
  rss_mb: z.number(),
});
export type HistoryRecord = z.output<typeof historyRecordSchema>;

export const historyFile = jsonLinesFile({ name: RUN_FILES.history, schema: historyRecordSchema });
