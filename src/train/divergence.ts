import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import type { PerGroup } from './types';

/**
 * A run whose loss or weights stop being finite learns nothing more: it is stopped with a
 * message rather than saved, so last/ and best/ keep the last good epoch.
 */
function rates(lr: PerGroup<number>): string {
  return `early ${lr.early}, middle ${lr.middle}, head ${lr.head}`;
}

function keptCheckpoint(lastGoodEpoch: number): string {
  return lastGoodEpoch > 0 ? `last/ and best/ keep epoch ${lastGoodEpoch} and earlier` : 'nothing was saved (no epoch finished)';
}

export class DivergedError extends TimError {
  constructor(message: string) {
    super(message);
    this.name = 'DivergedError';
  }
}

/** Throws when a step's loss is NaN or infinite. */
export function checkStepLoss(loss: number, at: { epoch: number; step: number; lr: PerGroup<number>; lastGoodEpoch: number }): void {
  if (Number.isFinite(loss)) return;
  throw new DivergedError(
    `training diverged: the loss is ${loss} at epoch ${at.epoch}, step ${at.step} (learning rates ${rates(at.lr)}); ` +
      `stopped, ${keptCheckpoint(at.lastGoodEpoch)}. Check augment.normalize and the images, or lower train.lr_groups`,
  );
}

/** Throws when any trained weight is NaN or infinite (before it would be saved). */
export async function checkWeights(variables: readonly tf.Variable[], at: { epoch: number; lr: PerGroup<number>; lastGoodEpoch: number }): Promise<void> {
  if (variables.length === 0) return;
  // Added one at a time, not with addN: WebGPU binds every addN input at once, and a model has
  // more variables than a shader may bind storage buffers (12 on many adapters).
  const bad = tf.tidy(() => variables.reduce<tf.Tensor>((acc, v) => tf.add(acc, tf.sum(tf.cast(tf.logicalNot(tf.isFinite(v)), 'float32'))), tf.scalar(0)));
  const count = (await bad.data())[0] ?? 0;
  bad.dispose();
  if (count === 0) return;
  throw new DivergedError(`training diverged: ${count} weight(s) are NaN or infinite after epoch ${at.epoch} (learning rates ${rates(at.lr)}); stopped, ${keptCheckpoint(at.lastGoodEpoch)}. Lower train.lr_groups`);
}
