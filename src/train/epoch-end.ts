import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/schema';
import { log } from '../core/log';
import { GROUP_NAMES } from '../models/types';
import { lossRiseWarning } from './divergence';
import type { TrainedEpoch } from './epoch';
import type { ValMetrics } from './fit-options';
import type { GroupVariables } from './groups';
import { saveLast } from './last-checkpoint';
import { type PlateauState, updateEarlyStopping, updatePlateau } from './schedule';
import { type FitSession, type Trainer, withEvaluatedWeights } from './trainer';
import type { HistoryRecord, PerGroup } from './types';
import { bestEpochFile, historyFile } from '../io/run-folder';
import type { ValidationPass } from './validation';

function rssMb(): number {
  return Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
}

/** [||now - start||², ||start||²] summed over a group's variables, on the device. */
function squaredChange(variables: readonly tf.LayerVariable[], start: readonly tf.Tensor[]): tf.Tensor {
  const terms = variables.map((v, k) => {
    const s = start[k] as tf.Tensor;
    return tf.stack([tf.sum(tf.square(tf.sub(v.read(), s))), tf.sum(tf.square(s))]);
  });
  return terms.length > 0 ? tf.sum(tf.stack(terms), 0) : tf.zeros([2]);
}

/** ||now - start|| / ||start|| of each group, in one read; `start` holds every group's variables in order. */
async function updateRatios(groups: GroupVariables, start: tf.Tensor[]): Promise<PerGroup<number>> {
  let offset = 0;
  const sums = tf.tidy(() => {
    const rows = GROUP_NAMES.map((group) => {
      const variables = groups[group];
      offset += variables.length;
      return squaredChange(variables, start.slice(offset - variables.length, offset));
    });
    return tf.stack(rows);
  });
  const values = await sums.data();
  sums.dispose();
  const ratios: PerGroup<number> = { early: 0, middle: 0, head: 0 };
  GROUP_NAMES.forEach((group, k) => {
    const diff = values[2 * k] ?? 0;
    const base = values[2 * k + 1] ?? 0;
    ratios[group] = base > 0 ? Math.sqrt(diff) / Math.sqrt(base) : diff > 0 ? Number.POSITIVE_INFINITY : 0;
  });
  return ratios;
}

const roundMs = (seconds: number): number => Math.round(seconds * 1000) / 1000;

function historyRecord(epoch: number, trained: TrainedEpoch, validation: ValidationPass, ratios: PerGroup<number>): HistoryRecord {
  const { totals } = trained;
  const rss = rssMb();
  return {
    epoch,
    train_loss: totals.count ? totals.loss_sum / totals.count : NaN,
    train_acc: totals.count ? totals.correct / totals.count : NaN,
    val_loss: validation.metrics.val_loss,
    val_acc: validation.metrics.val_acc,
    lr: trained.lr,
    update_ratio: ratios,
    seconds: roundMs(totals.train_seconds + validation.seconds),
    // Four significant digits: full-size models on the cpu backend train well under 0.01 img/s.
    images_per_sec: totals.train_seconds > 0 ? Number((totals.count / totals.train_seconds).toPrecision(4)) : 0,
    data_wait_seconds: roundMs((totals.data_wait_seconds ?? 0) + validation.data.wait),
    data_prepare_seconds: roundMs((totals.data_prepare_seconds ?? 0) + validation.data.prepare),
    num_tensors: tf.memory().numTensors,
    rss_mb: rss,
  };
}

/**
 * The epoch's line of history.jsonl, with its update ratios (which free the epoch-start
 * weights) and a warning when the training loss climbs.
 */
export async function recordEpoch(trainer: Trainer, session: FitSession, epoch: number, trained: TrainedEpoch, validation: ValidationPass): Promise<HistoryRecord> {
  const { options } = trainer;
  const ratios = await updateRatios(options.groups, trained.epochStart);
  tf.dispose(trained.epochStart);
  session.epochStart = null;
  const record = historyRecord(epoch, trained, validation, ratios);
  options.run.appendLine(historyFile, record);
  session.history.push(record);
  const rise = lossRiseWarning(session.history, options.numClasses);
  if (rise) log.warn(rise);
  return record;
}

/** What the epoch's line says beside its numbers. */
function epochNotes(config: TrainConfig, stopping: { improved: boolean; stop: boolean }, reducedPlateau: PlateauState | undefined, headOnly: boolean): string {
  const notes: string[] = [];
  if (headOnly) notes.push('head only');
  if (stopping.improved) notes.push('*best*');
  if (reducedPlateau) notes.push(`lr x${reducedPlateau.scale.toPrecision(3)}`);
  if (stopping.stop) notes.push(`early stop (${config.early_stopping.patience} epochs without a better ${config.early_stopping.monitor})`);
  return notes.join(' ');
}

/**
 * The epoch's bookkeeping: best/ when the monitored metric improved, the plateau's scale of the
 * learning rates, early stopping, the epoch's line, and last/ at the epoch's end.
 */
export async function closeEpoch(trainer: Trainer, session: FitSession, epoch: number, record: HistoryRecord, metrics: ValMetrics): Promise<void> {
  const { config, options } = trainer;
  const { state } = session;
  const monitor = config.early_stopping.monitor;
  // The head-only epochs of train.freeze_epochs may give best/, but early stopping's patience
  // and the plateau schedule count from the unfreeze (a head-only epoch is not a failed one).
  const headOnly = epoch <= config.freeze_epochs;
  const updated = updateEarlyStopping(state.early_stopping, config.early_stopping, epoch, metrics[monitor]);
  const stopping = headOnly ? { ...updated, state: { ...updated.state, wait: 0 }, stop: false } : updated;
  if (stopping.improved) {
    const about = { epoch, [monitor]: metrics[monitor], ...(trainer.ema ? { ema: true as const } : {}) };
    await withEvaluatedWeights(trainer, () => trainer.writeModel(options.tm, options.run.file('best'), { [bestEpochFile.name]: bestEpochFile.text(about) }));
  }
  const plateauConfig = config.reduce_lr_on_plateau;
  const plateau = plateauConfig && !headOnly ? updatePlateau(state.plateau, plateauConfig, metrics[plateauConfig.monitor]) : state.plateau;
  const reduced = plateau.reductions > state.plateau.reductions ? plateau : undefined;
  trainer.progress.epoch(record, config.epochs, epochNotes(config, stopping, reduced, headOnly));
  session.state = {
    ...state,
    epoch,
    step_in_epoch: 0,
    partial: null,
    early_stopping: stopping.state,
    plateau,
    finished: stopping.stop || epoch >= config.epochs,
    stopped_early: stopping.stop,
  };
  await saveLast(trainer, session, session.state, null);
}
