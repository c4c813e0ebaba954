import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { GROUP_NAMES } from '../models/types';
import { withStepRandom } from '../train/epoch';
import { batchGradients, stepTotals } from '../train/step';
import type { Trainer } from '../train/trainer';
import type { BatchSource, PerGroup } from '../train/types';
import { SmoothedLoss, sweepRate } from './curve';

export interface SweepOptions {
  steps: number;
  /** The head's rate at the first step and (approached at) the last; every group moves with it at its ratio. */
  startLr: number;
  endLr: number;
  /** Keys each step's random stream (dropout, stochastic depth), so a sweep replays exactly. */
  seed: number;
  /** Called after every step (progress). */
  onStep?: (point: SweepPoint) => void;
}

/** One step of the sweep: the head's rate, the batch's loss and the smoothed loss. */
export interface SweepPoint {
  step: number;
  lr: number;
  loss: number;
  smoothed: number;
}

export interface SweepResult {
  points: SweepPoint[];
  /** Why it ended: the smoothed loss diverged (past 4x its best, or NaN), or every step ran. */
  stopped: 'diverged' | 'steps';
}

/** Each group's rate when the head's is `head`: the config's rates, scaled together. */
export function scaledRates(head: number, configured: PerGroup<number>): PerGroup<number> {
  const out: PerGroup<number> = { early: 0, middle: 0, head: 0 };
  for (const g of GROUP_NAMES) out[g] = (head * configured[g]) / configured.head;
  return out;
}

/**
 * Trains the trainer's model (a copy nobody saves) for up to `steps` batches of `source`, the
 * head's learning rate rising exponentially from startLr towards endLr and the other groups'
 * with it at the config's ratios, recording each step's loss; stops once the smoothed loss diverges.
 */
export async function lrSweep(trainer: Trainer, source: BatchSource, opts: SweepOptions): Promise<SweepResult> {
  const tracker = new SmoothedLoss();
  const points: SweepPoint[] = [];
  const configured = trainer.config.lr_groups;
  if (source.numBatches === 0) throw new TimError('lr-find: the training split gives no batches');
  for (let epoch = 0; points.length < opts.steps; epoch++) {
    for await (const batch of source.batches(epoch)) {
      const step = points.length;
      const lr = sweepRate(opts.startLr, opts.endLr, step, opts.steps);
      let loss: number;
      try {
        trainer.optimizers.setLearningRates(scaledRates(lr, configured));
        const result = withStepRandom(`lr-find:${opts.seed}:${step}`, () => batchGradients(trainer.phases.all.stepModel, batch.x, batch.y, batch.targets));
        try {
          trainer.optimizers.apply(result.grads);
        } catch (e) {
          result.totals.dispose();
          throw e;
        } finally {
          tf.dispose(Object.values(result.grads));
        }
        loss = (await stepTotals(result.totals)).loss;
      } finally {
        tf.dispose([batch.x, batch.y, ...(batch.targets ? [batch.targets] : [])]);
      }
      const { smoothed, diverged } = tracker.add(loss);
      const point = { step, lr, loss, smoothed };
      points.push(point);
      opts.onStep?.(point);
      if (diverged) return { points, stopped: 'diverged' };
      if (points.length >= opts.steps) break;
    }
  }
  return { points, stopped: 'steps' };
}
