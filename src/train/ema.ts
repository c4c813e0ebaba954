import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/schema';
import { TimError } from '../core/errors';
import type { NamedTensor } from './tensor-file';

export type EmaConfig = NonNullable<TrainConfig['ema']>;

/** Name prefix of the averages among last/'s tensors. */
const PREFIX = 'ema::';

export const isEmaTensor = (t: NamedTensor): boolean => t.name.startsWith(PREFIX);

/** The decay of the n-th update (0-based): timm's, with the warm-up min(decay, (1 + n)/(10 + n)) when on. */
export function emaDecay(config: EmaConfig, n: number): number {
  return config.warmup ? Math.min(config.decay, (1 + n) / (10 + n)) : config.decay;
}

/**
 * An exponential moving average of every weight of a model, BatchNorm's moving statistics
 * included (timm's ModelEma; torch's AveragedModel with use_buffers): it starts as the weights,
 * and after each optimiser step becomes d·average + (1 − d)·weight. It holds a second copy of
 * the weights. Swapping it into the model shares the tensors' data rather than copying it.
 */
export class WeightAverage {
  private readonly averages: tf.Variable[];

  constructor(
    private readonly weights: readonly tf.LayerVariable[],
    readonly config: EmaConfig,
  ) {
    this.averages = weights.map((w) => tf.variable(w.read(), false));
  }

  /** Averages in the weights as they are after optimiser step `n` (0-based). */
  update(n: number): void {
    const d = emaDecay(this.config, n);
    tf.tidy(() => {
      this.weights.forEach((w, i) => {
        const average = this.averages[i] as tf.Variable;
        average.assign(tf.add(tf.mul(average, d), tf.mul(w.read(), 1 - d)));
      });
    });
  }

  /** Runs `fn` with the averages as the model's weights, then puts the trained weights back. */
  async swappedIn<T>(fn: () => Promise<T> | T): Promise<T> {
    const trained = this.weights.map((w) => w.read().clone());
    try {
      this.weights.forEach((w, i) => w.write(this.averages[i] as tf.Variable));
      return await fn();
    } finally {
      this.weights.forEach((w, i) => w.write(trained[i] as tf.Tensor));
      tf.dispose(trained);
    }
  }

  /** The averages, for last/ (owned by this object: do not dispose). */
  tensors(): NamedTensor[] {
    return this.averages.map((tensor, i) => ({ name: `${PREFIX}${i}`, tensor }));
  }

  /** Takes the averages tensors() saved; `source` names the checkpoint in errors. Disposes the given tensors. */
  restore(saved: NamedTensor[], source: string): void {
    try {
      const fits = saved.length === this.averages.length && saved.every((t, i) => tf.util.arraysEqual(t.tensor.shape, (this.averages[i] as tf.Variable).shape));
      if (!fits) throw new TimError(`${source}: the saved moving average of the weights (train.ema) does not match the model (${saved.length} tensors for ${this.averages.length} weights)`);
      saved.forEach((t, i) => (this.averages[i] as tf.Variable).assign(t.tensor));
    } finally {
      tf.dispose(saved.map((t) => t.tensor));
    }
  }

  dispose(): void {
    tf.dispose(this.averages);
  }
}
