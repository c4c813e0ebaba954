import { z } from 'zod';
import { figure, jsonFile } from './json-file';
import { RUN_FILES } from './names';

export const MONITORS = ['val_acc', 'val_loss'] as const;
export type Monitor = (typeof MONITORS)[number];

const finalFiguresSchema = z.object({ train_loss: figure, train_acc: figure, val_loss: figure, val_acc: figure });

/** summary.json: written by training when it stops (finished, stopped early or interrupted). */
export const trainSummarySchema = z.looseObject({
  run_dir: z.string(),
  name: z.string(),
  arch: z.string(),
  monitor: z.enum(MONITORS),
  best_epoch: z.number(),
  /** The monitored value at the best epoch; NaN (null on disk) when no epoch was validated. */
  best_value: figure,
  /** The last epoch that completed. */
  stopped_epoch: z.number(),
  stopped_early: z.boolean(),
  /** True when the run was interrupted (Ctrl-C) and can be continued with --resume. */
  interrupted: z.boolean(),
  epochs_planned: z.number(),
  backend: z.string(),
  total_seconds: z.number(),
  train_images: z.number(),
  val_images: z.number(),
  num_classes: z.number(),
  trained_groups: z.array(z.string()),
  micro_batch: z.number(),
  /**
   * What BatchNorm's training statistics are computed over ('none': no BatchNorm layer trains in
   * training mode). Absent from runs trained before 2026-12-01 (965e964).
   */
  batch_norm_statistics: z.enum(['per micro-batch', 'per batch', 'none']).optional(),
  /**
   * When set, validation, best/ and evaluation use this moving average of the weights (train.ema),
   * not the trained weights. Absent from runs trained before 2026-12-06 (037abbe), which had none.
   */
  ema: z.object({ decay: z.number(), warmup: z.boolean() }).nullable().optional(),
  /** The last epoch's figures; null when no epoch completed. */
  final: finalFiguresSchema.nullable(),
});
export type TrainSummary = z.output<typeof trainSummarySchema>;

export const summaryFile = jsonFile({ name: RUN_FILES.summary, schema: trainSummarySchema });
