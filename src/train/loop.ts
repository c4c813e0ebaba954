import * as tf from '@tensorflow/tfjs';
import { INTERRUPTED, runEpoch } from './epoch';
import { closeEpoch, recordEpoch } from './epoch-end';
import type { FitOptions, FitOutcome } from './fit-options';
import { restoreFromLast } from './last-checkpoint';
import { createTrainer, type FitSession, freshSession, totalSeconds, type Trainer } from './trainer';
import { validationPass } from './validation';

export { withStepRandom } from './epoch';
export type { FitOptions, FitOutcome, ValMetrics } from './fit-options';

/**
 * The epochs left to train, each as torchvision's reference script runs one: the training
 * steps, the validation pass, then the epoch's record and bookkeeping. True when a stop was
 * asked for (last/ then holds where the run stands).
 */
async function runEpochs(trainer: Trainer, session: FitSession): Promise<boolean> {
  const { config, options } = trainer;
  for (let epoch = session.state.epoch + 1; epoch <= config.epochs && !session.state.finished; epoch++) {
    const trained = await runEpoch(trainer, session, epoch);
    if (trained === INTERRUPTED) return true;
    const validation = await validationPass(trainer, session, epoch, trained.lr);
    const record = await recordEpoch(trainer, session, epoch, trained, validation);
    await closeEpoch(trainer, session, epoch, record, validation.metrics);
    if (!session.state.finished && options.shouldStop?.()) return true;
  }
  return false;
}

function fitOutcome(session: FitSession, interrupted: boolean): FitOutcome {
  const { state } = session;
  return {
    history: session.history,
    bestEpoch: state.early_stopping.bestEpoch,
    bestValue: state.early_stopping.best,
    stoppedEpoch: state.epoch,
    stoppedEarly: state.stopped_early,
    interrupted,
    totalSeconds: totalSeconds(session),
  };
}

/**
 * The training loop: per step one gradient computation for every trained variable, then one
 * Adam per group; validation, history, checkpoints, early stopping and LR schedules per epoch.
 * A resumed run continues from last/ exactly where it stopped.
 */
export async function fit(options: FitOptions): Promise<FitOutcome> {
  const trainer = createTrainer(options);
  const session = freshSession();
  let interrupted: boolean;
  try {
    if (options.resume) await restoreFromLast(trainer, session);
    // The run's seconds count training, not the restore.
    session.startedAt = Date.now();
    interrupted = await runEpochs(trainer, session);
  } finally {
    if (session.epochStart) tf.dispose(session.epochStart);
    trainer.optimizers.dispose();
    trainer.ema?.dispose();
  }
  return fitOutcome(session, interrupted);
}
