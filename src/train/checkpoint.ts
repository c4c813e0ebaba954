import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { readModelArtifacts } from '../io/model-io';
import { saveTimModel } from '../models/persist';
import type { TimModel } from '../models/types';
import { initialEarlyStopping, initialPlateau } from './schedule';
import { decodeTensors, encodeTensors, type NamedTensor, readBinary } from './tensor-file';
import { CHECKPOINT_FILES, loopStateFile, tensorsManifestFile, type LoopState } from '../io/run-folder';

/** The checkpoint files and the loop state, as the run folder defines them. */
export { CHECKPOINT_FILES, type LoopState } from '../io/run-folder';

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
    [CHECKPOINT_FILES.state]: loopStateFile.text(state),
    [CHECKPOINT_FILES.tensorsManifest]: tensorsManifestFile.text({ format: 'tim-train-tensors', specs: enc.specs }),
    [CHECKPOINT_FILES.tensors]: enc.data,
  });
}

const DAMAGED = 'the checkpoint is damaged; resume cannot continue from it';

export function readLoopState(dir: string): LoopState {
  const f = path.join(dir, CHECKPOINT_FILES.state);
  if (!fs.existsSync(f)) throw new TimError(`${f}: missing; cannot resume (the run has no last/ checkpoint)`);
  return loopStateFile.read(f, DAMAGED);
}

/** The saved tensors, in order; the caller disposes them. */
export function readCheckpointTensors(dir: string): NamedTensor[] {
  const mf = path.join(dir, CHECKPOINT_FILES.tensorsManifest);
  if (!fs.existsSync(mf)) throw new TimError(`${mf}: missing; cannot resume`);
  const manifest = tensorsManifestFile.read(mf, DAMAGED);
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
