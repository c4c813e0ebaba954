import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { loadWeightsInto, type LoopState, readCheckpointTensors, readLoopState, writeCheckpoint } from './checkpoint';
import { isEmaTensor } from './ema';
import type { NamedTensor } from './tensor-file';
import { type FitSession, type Trainer, totalSeconds } from './trainer';
import { historyFile, type RunFolder } from '../io/run-folder';

/** Name prefix of the epoch-start weights among last/'s tensors (the optimizers' are `<group>::…`). */
const EPOCH_START = 'epoch_start::';

const isEpochStart = (t: NamedTensor): boolean => t.name.startsWith(EPOCH_START);

/** Writes last/: the model, `state` with the seconds trained so far, the optimizers, any epoch-start weights and the moving average (train.ema). */
export async function saveLast(trainer: Trainer, session: FitSession, state: LoopState, epochStart: tf.Tensor[] | null): Promise<void> {
  const { tensors, owned } = await trainer.optimizers.state();
  const all = [...tensors, ...(epochStart ?? []).map((tensor, i) => ({ name: `${EPOCH_START}${i}`, tensor })), ...(trainer.ema?.tensors() ?? [])];
  try {
    await writeCheckpoint(trainer.writeModel, trainer.options.tm, trainer.options.run.file('last'), { ...state, total_seconds: totalSeconds(session) }, all);
  } finally {
    tf.dispose(owned);
  }
}

/** The weights an epoch interrupted after `stepInEpoch` steps started from; none at an epoch boundary. */
function epochStartWeights(starts: NamedTensor[], stepInEpoch: number, trainer: Trainer, dir: string): tf.Tensor[] | null {
  const tensors = starts.map((t) => t.tensor);
  if (stepInEpoch === 0) {
    tf.dispose(tensors);
    return null;
  }
  if (tensors.length !== trainer.variables.length) {
    tf.dispose(tensors);
    throw new TimError(`${dir}: epoch-start weights do not match the model`);
  }
  return tensors;
}

/**
 * Refuses to resume a run that is complete. A run whose last/ says it finished but that has no
 * summary.json was stopped while its last files were put in place: resuming it trains nothing
 * and writes the summary, so every instant of a run's life ends in a completed run.
 */
export function checkResumable(run: RunFolder, state: LoopState): void {
  if (state.finished && run.has('summary')) throw new TimError(`${run.dir} has finished (epoch ${state.epoch}${state.stopped_early ? ', stopped early' : ''}); nothing to resume`);
}

/**
 * Continues the run from last/: its loop state, the model's weights, the optimizers' state, the
 * moving average of the weights (train.ema), the unfinished epoch's starting weights, and the
 * history it covers.
 */
export async function restoreFromLast(trainer: Trainer, session: FitSession): Promise<void> {
  const { run, tm } = trainer.options;
  const dir = run.file('last');
  const state = readLoopState(dir);
  checkResumable(run, state);
  session.state = state;
  loadWeightsInto(tm, dir);
  const tensors = readCheckpointTensors(dir);
  const ema = tensors.filter(isEmaTensor);
  if (trainer.ema) trainer.ema.restore(ema, dir);
  else tf.dispose(ema.map((t) => t.tensor));
  await trainer.optimizers.restore(tensors.filter((t) => !isEpochStart(t) && !isEmaTensor(t)), dir);
  session.epochStart = epochStartWeights(tensors.filter(isEpochStart), state.step_in_epoch, trainer, dir);
  // Drop lines of epochs the checkpoint does not cover (written after it was saved).
  session.history = run.readLines(historyFile).filter((h) => h.epoch <= state.epoch);
  run.writeLines(historyFile, session.history);
}
