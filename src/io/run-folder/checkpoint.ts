import { z } from 'zod';
import { figure, jsonFile } from './json-file';

/**
 * The files a model folder of a run holds besides the model (model.json, weights.bin):
 * `best/epoch.json` says which epoch best/ holds; `last/` adds what a resumed run needs to
 * continue exactly where it stopped.
 */
export const CHECKPOINT_FILES = {
  /** best/: the epoch, its monitored value, and whether the weights are the moving average. */
  bestEpoch: 'epoch.json',
  /** last/: the training loop's state. */
  state: 'train_state.json',
  /** last/: the names, shapes and types of the tensors in optimizer.bin. */
  tensorsManifest: 'optimizer.json',
  /** last/: the optimizers' (and the epoch start's) tensors, one after another. */
  tensors: 'optimizer.bin',
} as const;

/** best/epoch.json: `{ epoch, <monitor>: value }`, with `ema: true` when best/ holds the moving average. */
export const bestEpochSchema = z.looseObject({
  epoch: z.number(),
  val_acc: figure.optional(),
  val_loss: figure.optional(),
  ema: z.literal(true).optional(),
});
export type BestEpoch = z.output<typeof bestEpochSchema>;
export const bestEpochFile = jsonFile({ name: CHECKPOINT_FILES.bestEpoch, schema: bestEpochSchema, layout: 'compact' });

const earlyStoppingStateSchema = z.looseObject({ best: z.number().nullable(), bestEpoch: z.number(), wait: z.number() });
export type EarlyStoppingState = z.output<typeof earlyStoppingStateSchema>;

const plateauStateSchema = z.looseObject({ best: z.number().nullable(), bad: z.number(), scale: z.number(), reductions: z.number() });
export type PlateauState = z.output<typeof plateauStateSchema>;

/** last/train_state.json: what a resumed run needs to continue exactly where it stopped. */
export const loopStateSchema = z.looseObject({
  version: z.literal(1),
  /** Epochs fully completed (validated, recorded). */
  epoch: z.number().int().min(0),
  /** Batches already trained in epoch `epoch + 1` (0 at an epoch boundary). */
  step_in_epoch: z.number().int().min(0),
  global_step: z.number().int().min(0),
  early_stopping: earlyStoppingStateSchema,
  plateau: plateauStateSchema,
  /**
   * Running sums of the unfinished epoch; the seconds waited for and spent preparing images are
   * absent from runs saved before they were recorded (4276b6a).
   */
  partial: z
    .looseObject({
      loss_sum: figure,
      correct: z.number(),
      count: z.number(),
      train_seconds: z.number(),
      data_wait_seconds: z.number().optional(),
      data_prepare_seconds: z.number().optional(),
    })
    .nullable(),
  total_seconds: z.number(),
  /** True once the run has finished (all epochs, or stopped early): nothing left to resume. */
  finished: z.boolean(),
  stopped_early: z.boolean(),
});
export type LoopState = z.output<typeof loopStateSchema>;
export const loopStateFile = jsonFile({ name: CHECKPOINT_FILES.state, schema: loopStateSchema });

export const TENSOR_DTYPES = ['float32', 'int32', 'bool', 'string', 'complex64'] as const;

/** last/optimizer.json. */
export const tensorsManifestSchema = z.looseObject({
  format: z.literal('tim-train-tensors'),
  specs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.enum(TENSOR_DTYPES) })),
});
export type TensorsManifest = z.output<typeof tensorsManifestSchema>;
export const tensorsManifestFile = jsonFile({ name: CHECKPOINT_FILES.tensorsManifest, schema: tensorsManifestSchema, layout: 'compact' });

