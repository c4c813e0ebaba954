import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import type { HistoryRecord } from './types';
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

/**
 * A loss that stays finite but climbs means the learning rates are too high long before
 * anything becomes NaN. The yardstick is ln(K), the loss of a uniform guess over K classes: an
 * epoch worse than that, and at least twice the best epoch so far (or three times ln(K) in the
 * first epoch), has learnt less than nothing and is worth a word.
 */
export function lossRiseWarning(history: readonly Pick<HistoryRecord, 'epoch' | 'train_loss' | 'lr'>[], numClasses: number): string | undefined {
  const current = history[history.length - 1];
  if (!current || !Number.isFinite(current.train_loss) || numClasses < 2) return undefined;
  const uniform = Math.log(numClasses);
  if (current.train_loss <= uniform) return undefined;
  const earlier = history.slice(0, -1).filter((h) => Number.isFinite(h.train_loss));
  const best = earlier.reduce<(typeof earlier)[number] | undefined>((b, h) => (b === undefined || h.train_loss < b.train_loss ? h : b), undefined);
  const lower = `the learning rates (${rates(current.lr)}) may be too high; lower train.lr_groups`;
  if (best === undefined) {
    if (current.train_loss <= 3 * uniform) return undefined;
    return `the training loss of epoch ${current.epoch} is ${current.train_loss.toFixed(4)}, over three times a uniform guess's ${uniform.toFixed(4)} (ln ${numClasses}): ${lower}`;
  }
  if (current.train_loss <= 2 * best.train_loss) return undefined;
  return (
    `the training loss rose from ${best.train_loss.toFixed(4)} (epoch ${best.epoch}) to ${current.train_loss.toFixed(4)} (epoch ${current.epoch}), ` +
    `worse than a uniform guess's ${uniform.toFixed(4)} (ln ${numClasses}): ${lower}`
  );
}
