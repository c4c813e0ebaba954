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

/** How many values of `t` are NaN or infinite, as a scalar tensor. */
const nonFinite = (t: tf.Tensor): tf.Tensor => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(t)), 'float32'));

/** A tensor the checkpoint saves, with the name it is saved under. */
export interface SavedState {
  name: string;
  tensor: tf.Tensor;
  /** Trained by the optimizer (a weight), or state the layers keep (BatchNorm's moving statistics). */
  trainable: boolean;
}

/**
 * Throws when any tensor a checkpoint would save is NaN or infinite: the trained weights and the
 * state that is not trained (BatchNorm's moving mean and variance), naming the first of them.
 */
export async function checkWeights(state: readonly SavedState[], at: { epoch: number; lr: PerGroup<number>; lastGoodEpoch: number }): Promise<void> {
  if (state.length === 0) return;
  // Added one at a time, not with addN: WebGPU binds every addN input at once, and a model has
  // more variables than a shader may bind storage buffers (12 on many adapters).
  const bad = tf.tidy(() => state.reduce<tf.Tensor>((acc, s) => tf.add(acc, nonFinite(s.tensor)), tf.scalar(0)));
  const count = (await bad.data())[0] ?? 0;
  bad.dispose();
  if (count === 0) return;
  // Only on failure: which tensors, one read each.
  const named: string[] = [];
  for (const s of state) {
    const n = tf.tidy(() => nonFinite(s.tensor));
    if (((await n.data())[0] ?? 0) > 0) named.push(`${s.name}${s.trainable ? '' : ' (not trained: moving statistics)'}`);
    n.dispose();
  }
  const shown = named.length > 3 ? `${named.slice(0, 3).join(', ')} and ${named.length - 3} more` : named.join(', ');
  throw new DivergedError(
    `training diverged: ${count} value(s) the checkpoint would save are NaN or infinite after epoch ${at.epoch}, in ${shown} (learning rates ${rates(at.lr)}); ` +
      `stopped, ${keptCheckpoint(at.lastGoodEpoch)}. Lower train.lr_groups, or check the images (a NaN input corrupts BatchNorm's statistics)`,
  );
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
