import { z } from 'zod';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { readModelArtifacts } from '../io/model-io';
import { saveTimModel } from '../models/persist';
import type { TimModel } from '../models/types';
import { type EarlyStoppingState, initialEarlyStopping, initialPlateau, type PlateauState } from './schedule';
import { decodeTensors, encodeTensors, type NamedTensor, readBinary } from './tensor-file';
import { readJsonFile } from '../io/json-file';

/** Files a `last/` checkpoint holds besides the model. */
export const CHECKPOINT_FILES = {
  state: 'train_state.json',
  tensorsManifest: 'optimizer.json',
  tensors: 'optimizer.bin',
} as const;

/** What a resumed run needs to continue exactly where it stopped. */
export interface LoopState {
  version: 1;
  /** Epochs fully completed (validated, recorded). */
  epoch: number;
  /** Batches already trained in epoch `epoch + 1` (0 at an epoch boundary). */
  step_in_epoch: number;
  global_step: number;
  early_stopping: EarlyStoppingState;
  plateau: PlateauState;
  /**
   * Running sums of the unfinished epoch; the seconds waited for and spent preparing images
   * (see Batch) are absent from runs saved before they were recorded.
   */
  partial: { loss_sum: number; correct: number; count: number; train_seconds: number; data_wait_seconds?: number; data_prepare_seconds?: number } | null;
  total_seconds: number;
  /** True once the run has finished (all epochs, or stopped early): nothing left to resume. */
  finished: boolean;
  stopped_early: boolean;
}

/** The state of a run that has not trained yet. */
export function initialLoopState(): LoopState {
  return {
    version: 1,
    epoch: 0,
    step_in_epoch: 0,
    global_step: 0,
    early_stopping: initialEarlyStopping(),
    plateau: initialPlateau(),
    partial: null,
    total_seconds: 0,
    finished: false,
    stopped_early: false,
  };
}

export interface ModelWriter {
  (tm: TimModel, dir: string, extraFiles?: Record<string, string | Uint8Array>): Promise<void>;
}

/** Writes a model folder as saveTimModel does, with the extra files beside it. */
export const saveModelFolder: ModelWriter = (tm, dir, extraFiles) => saveTimModel(tm, dir, { extraFiles });

/** Writes `last/`: the model, the loop state and the optimizers' (and epoch-start) tensors, in one atomic swap. */
export async function writeCheckpoint(
  write: ModelWriter,
  tm: TimModel,
  dir: string,
  state: LoopState,
  tensors: NamedTensor[],
): Promise<void> {
  const enc = await encodeTensors(tensors);
  await write(tm, dir, {
    [CHECKPOINT_FILES.state]: `${JSON.stringify(state, null, 2)}\n`,
    [CHECKPOINT_FILES.tensorsManifest]: `${JSON.stringify({ format: 'tim-train-tensors', specs: enc.specs })}\n`,
    [CHECKPOINT_FILES.tensors]: enc.data,
  });
}

const DAMAGED = 'the checkpoint is damaged; resume cannot continue from it';

const numberOrNull = z.number().nullable();
const loopStateSchema = z.looseObject({
  version: z.literal(1),
  epoch: z.number().int().min(0),
  step_in_epoch: z.number().int().min(0),
  global_step: z.number().int().min(0),
  early_stopping: z.looseObject({ best: numberOrNull, bestEpoch: z.number(), wait: z.number() }),
  plateau: z.looseObject({ best: numberOrNull, bad: z.number(), scale: z.number(), reductions: z.number() }),
  partial: z
    .looseObject({
      loss_sum: z.number(),
      correct: z.number(),
      count: z.number(),
      train_seconds: z.number(),
      data_wait_seconds: z.number().optional(),
      data_prepare_seconds: z.number().optional(),
    })
    .nullable(),
  total_seconds: z.number(),
  finished: z.boolean(),
  stopped_early: z.boolean(),
});

const tensorsManifestSchema = z.looseObject({
  specs: z.array(z.looseObject({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']) })),
});

export function readLoopState(dir: string): LoopState {
  const f = path.join(dir, CHECKPOINT_FILES.state);
  if (!fs.existsSync(f)) throw new TimError(`${f}: missing; cannot resume (the run has no last/ checkpoint)`);
  const s: LoopState = readJsonFile(f, loopStateSchema, DAMAGED);
  return s;
}

/** The saved tensors, in order; the caller disposes them. */
export function readCheckpointTensors(dir: string): NamedTensor[] {
  const mf = path.join(dir, CHECKPOINT_FILES.tensorsManifest);
  if (!fs.existsSync(mf)) throw new TimError(`${mf}: missing; cannot resume`);
  const manifest = readJsonFile(mf, tensorsManifestSchema, DAMAGED);
  return decodeTensors(manifest.specs, readBinary(path.join(dir, CHECKPOINT_FILES.tensors)), mf);
}

/** Loads a saved model folder's weights into an already built model with the same layers. */
export function loadWeightsInto(tm: TimModel, dir: string): void {
  const { artifacts } = readModelArtifacts(dir);
  const map = tf.io.decodeWeights(artifacts.weightData as ArrayBuffer, artifacts.weightSpecs ?? []);
  try {
    tm.model.loadWeights(map, true);
  } catch (e) {
    throw new TimError(`${dir}: weights do not fit the model (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  } finally {
    tf.dispose(Object.values(map));
  }
}
