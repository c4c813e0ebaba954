import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { Batch } from '../data/types';
import type { LoopState } from './checkpoint';
import { checkStepLoss } from './divergence';
import type { FitOptions } from './fit-options';
import { saveLast } from './last-checkpoint';
import type { GroupOptimizers } from './optimizers';
import { batchGradients, type StepResult, stepTotals } from './step';
import { type FitSession, learningRatesAt, type Phase, phaseOf, type Trainer } from './trainer';
import type { PerGroup } from './types';

/** The running sums of an epoch's training; last/ saves them for an unfinished epoch. */
export type EpochTotals = NonNullable<LoopState['partial']>;

/** An epoch whose every step has trained. */
export interface TrainedEpoch {
  totals: EpochTotals;
  /** Each group's learning rate at the epoch's first step. */
  lr: PerGroup<number>;
  /** The trained variables as they were before the epoch's first step (the session owns them). */
  epochStart: tf.Tensor[];
}

/** What runEpoch returns when a stop was asked for: last/ then holds the unfinished epoch. */
export const INTERRUPTED = 'interrupted';

/**
 * Runs a synchronous step with Math.random drawn from a generator keyed by (seed, epoch, step).
 * tfjs's unseeded random ops (dropout, stochastic depth) read Math.random; keying it to the
 * step makes a run reproducible and a resumed run identical, whatever ran before.
 */
export function withStepRandom<T>(key: string, fn: () => T): T {
  const original = Math.random;
  Math.random = seedrandom(key);
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

function disposeBatch(batch: Batch): void {
  tf.dispose([batch.x, batch.y, ...(batch.targets ? [batch.targets] : [])]);
}

/** Applies a step's gradients (one Adam per group) and frees them; on failure its totals too. */
function applyGradients(optimizers: GroupOptimizers, step: StepResult, phase: Phase): void {
  try {
    optimizers.apply(step.grads, phase.groups);
  } catch (e) {
    step.totals.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(step.grads));
  }
}

/**
 * One training step on `batch`: the gradients of its loss (summed over its micro-batches) under
 * the step's random stream, one Adam update per group, then the step's one read from the
 * device, its loss and hits, added to the epoch's totals.
 */
async function runStep(trainer: Trainer, session: FitSession, batch: Batch, at: { epoch: number; step: number }, totals: EpochTotals): Promise<void> {
  try {
    const phase = phaseOf(trainer, at.epoch);
    const lr = learningRatesAt(trainer, session, session.state.global_step, phase);
    trainer.optimizers.setLearningRates(lr);
    const step = withStepRandom(`${trainer.options.seed ?? 0}:${at.epoch}:${at.step}`, () => batchGradients(phase.stepModel, batch.x, batch.y, batch.targets));
    applyGradients(trainer.optimizers, step, phase);
    trainer.ema?.update(session.state.global_step);
    // Read after the update is queued, so that a GPU is never idle waiting for it.
    const { loss, correct } = await stepTotals(step.totals);
    checkStepLoss(loss, { epoch: at.epoch, step: at.step + 1, lr, lastGoodEpoch: session.state.epoch });
    totals.loss_sum += loss * step.count;
    totals.correct += correct;
    totals.count += step.count;
  } finally {
    disposeBatch(batch);
  }
}

function showStep(trainer: Trainer, epoch: number, done: number, totals: EpochTotals): void {
  trainer.progress.update({
    epoch,
    epochs: trainer.config.epochs,
    done,
    total: trainer.stepsPerEpoch,
    images: totals.count,
    seconds: totals.train_seconds,
    loss: totals.loss_sum / Math.max(1, totals.count),
    acc: totals.correct / Math.max(1, totals.count),
  });
}

/** Lets the event loop run (signal handlers fire there, not between resolved promises), then polls shouldStop. */
async function stopAsked(options: FitOptions): Promise<boolean> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return options.shouldStop?.() ?? false;
}

/**
 * One epoch of training steps. A resumed epoch skips the steps last/ says it trained (the
 * source replays the epoch's batches exactly) and continues its totals. After every step the
 * progress line is drawn and shouldStop polled; a stop saves the unfinished epoch to last/.
 */
export async function runEpoch(trainer: Trainer, session: FitSession, epoch: number): Promise<TrainedEpoch | typeof INTERRUPTED> {
  const { state } = session;
  const trainedBefore = state.step_in_epoch;
  const totals = state.partial ?? { loss_sum: 0, correct: 0, count: 0, train_seconds: 0 };
  const lr = learningRatesAt(trainer, session, state.global_step - trainedBefore, phaseOf(trainer, epoch));
  const epochStart = (session.epochStart ??= trainer.variables.map((v): tf.Tensor => tf.clone(v)));
  let done = 0;
  let lapStart = Date.now();
  for await (const batch of trainer.options.trainSource.batches(epoch)) {
    if (done < trainedBefore) {
      disposeBatch(batch);
      done++;
      lapStart = Date.now();
      continue;
    }
    totals.data_wait_seconds = (totals.data_wait_seconds ?? 0) + (batch.waitSeconds ?? 0);
    totals.data_prepare_seconds = (totals.data_prepare_seconds ?? 0) + (batch.prepareSeconds ?? 0);
    await runStep(trainer, session, batch, { epoch, step: done }, totals);
    done++;
    state.global_step++;
    const now = Date.now();
    totals.train_seconds += (now - lapStart) / 1000;
    lapStart = now;
    showStep(trainer, epoch, done, totals);
    if (await stopAsked(trainer.options)) {
      trainer.progress.clear();
      await saveLast(trainer, session, { ...state, step_in_epoch: done, partial: totals }, epochStart);
      return INTERRUPTED;
    }
  }
  return { totals, lr, epochStart };
}
