import * as tf from '@tensorflow/tfjs';
import { checkWeights } from './divergence';
import type { FitOptions, ValMetrics } from './fit-options';
import { evaluateBatch } from './step';
import { type FitSession, type Trainer, withEvaluatedWeights } from './trainer';
import type { PerGroup } from './types';

/** Seconds the consumer of a source's batches waited for their images and spent preparing them (see Batch). */
export interface DataSeconds {
  wait: number;
  prepare: number;
}

/** The validation metrics of an epoch, the seconds its validation took and how much of them went to its images. */
export interface ValidationPass {
  metrics: ValMetrics;
  seconds: number;
  data: DataSeconds;
}

/** Loss and accuracy over the validation batches in inference mode; or what `evaluate` says. */
async function validate(options: FitOptions, epoch: number, data: DataSeconds): Promise<ValMetrics> {
  if (options.evaluate) return options.evaluate(epoch);
  if (!options.valSource) throw new Error('fit: neither valSource nor evaluate given');
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for await (const batch of options.valSource.batches(epoch)) {
    data.wait += batch.waitSeconds ?? 0;
    data.prepare += batch.prepareSeconds ?? 0;
    try {
      const sums = await evaluateBatch(options.tm.model, batch.x, batch.y, options.numClasses, options.microBatch);
      lossSum += sums.lossSum;
      correct += sums.correct;
      count += sums.count;
    } finally {
      tf.dispose([batch.x, batch.y]);
    }
  }
  return { val_loss: count ? lossSum / count : NaN, val_acc: count ? correct / count : NaN };
}

/**
 * The validation pass after an epoch's training. The trained weights are checked first (a
 * diverged run stops before anything of the epoch is saved); the check counts as validation time.
 */
export async function validationPass(trainer: Trainer, session: FitSession, epoch: number, lr: PerGroup<number>): Promise<ValidationPass> {
  const start = Date.now();
  // Every tensor last/ and best/ would hold: trained weights and BatchNorm's moving statistics.
  const state = trainer.options.tm.model.weights.map((w) => ({ name: w.originalName, tensor: w.read(), trainable: w.trainable }));
  await checkWeights(state, { epoch, lr, lastGoodEpoch: session.state.epoch });
  const data: DataSeconds = { wait: 0, prepare: 0 };
  const metrics = await withEvaluatedWeights(trainer, () => validate(trainer.options, epoch, data));
  return { metrics, seconds: (Date.now() - start) / 1000, data };
}
