import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import type { TrainConfig } from '../config/schema';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { writeFileAtomic } from '../io/atomic';
import type { RunFolder } from '../io/run-folder';
import { GROUP_NAMES } from '../models/types';
import type { TimModel } from '../models/types';
import { loadWeightsInto, type LoopState, type ModelWriter, readCheckpointTensors, readLoopState, saveModelFolder, writeCheckpoint } from './checkpoint';
import type { GroupVariables } from './groups';
import { checkStepLoss, checkWeights, lossRiseWarning } from './divergence';
import { GroupOptimizers } from './optimizers';
import { Progress } from './progress';
import { initialEarlyStopping, initialPlateau, scheduleFactor, updateEarlyStopping, updatePlateau } from './schedule';
import { batchGradients, evaluateBatch, stepTotals } from './step';
import type { BatchSource, HistoryRecord, PerGroup } from './types';

export interface ValMetrics {
  val_loss: number;
  val_acc: number;
}

export interface FitOptions {
  tm: TimModel;
  train: TrainConfig;
  /** The variables that train, per group (see trainedGroups). */
  groups: GroupVariables;
  /** Baseline: the whole model runs in inference mode, so BatchNorm statistics stay as imported. */
  freezeBackbone: boolean;
  trainSource: BatchSource;
  /** Validation batches; or `evaluate`, which replaces them (tests steer the metric with it). */
  valSource?: BatchSource;
  evaluate?: (epoch: number) => Promise<ValMetrics> | ValMetrics;
  numClasses: number;
  /** Seeds the random stream of each step (dropout, stochastic depth), so runs replay exactly. */
  seed?: number;
  classWeights?: number[];
  microBatch: number;
  run: RunFolder;
  writeModel?: ModelWriter;
  /** Continue from the run's last/ checkpoint (its weights are loaded into `tm`). */
  resume?: boolean;
  /** Polled after every step; true finishes the step, saves last/ and returns. */
  shouldStop?: () => boolean;
  progress?: Progress;
}

export interface FitOutcome {
  history: HistoryRecord[];
  bestEpoch: number;
  bestValue: number | null;
  stoppedEpoch: number;
  stoppedEarly: boolean;
  interrupted: boolean;
  totalSeconds: number;
}

const TAG_START = 'epoch_start::';

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

function rssMb(): number {
  return Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
}

/** ||now - start|| / ||start|| of each group, in one read. */
async function updateRatios(groups: GroupVariables, start: tf.Tensor[]): Promise<PerGroup<number>> {
  let i = 0;
  const sums = tf.tidy(() => {
    const rows = GROUP_NAMES.map((g) => {
      const terms = groups[g].map((v) => {
        const s = start[i++] as tf.Tensor;
        return tf.stack([tf.sum(tf.square(tf.sub(v.read(), s))), tf.sum(tf.square(s))]);
      });
      return terms.length > 0 ? tf.sum(tf.stack(terms), 0) : tf.zeros([2]);
    });
    return tf.stack(rows);
  });
  const values = await sums.data();
  sums.dispose();
  const out: PerGroup<number> = { early: 0, middle: 0, head: 0 };
  GROUP_NAMES.forEach((g, k) => {
    const diff = values[2 * k] ?? 0;
    const base = values[2 * k + 1] ?? 0;
    out[g] = base > 0 ? Math.sqrt(diff) / Math.sqrt(base) : diff > 0 ? Number.POSITIVE_INFINITY : 0;
  });
  return out;
}

async function validate(o: FitOptions, epoch: number): Promise<ValMetrics> {
  if (o.evaluate) return o.evaluate(epoch);
  if (!o.valSource) throw new Error('fit: neither valSource nor evaluate given');
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for await (const b of o.valSource.batches(epoch)) {
    try {
      const r = await evaluateBatch(o.tm.model, b.x, b.y, o.numClasses, o.microBatch);
      lossSum += r.lossSum;
      correct += r.correct;
      count += r.count;
    } finally {
      tf.dispose([b.x, b.y]);
    }
  }
  return { val_loss: count ? lossSum / count : NaN, val_acc: count ? correct / count : NaN };
}

/**
 * The training loop: per step one gradient computation for every trained variable, then one
 * Adam per group; validation, history, checkpoints, early stopping and LR schedules per epoch.
 */
export async function fit(o: FitOptions): Promise<FitOutcome> {
  const cfg = o.train;
  const write = o.writeModel ?? saveModelFolder;
  const progress = o.progress ?? new Progress();
  const run = o.run;
  const trainedVars = GROUP_NAMES.flatMap((g) => o.groups[g]);
  if (trainedVars.length === 0) throw new TimError('nothing to train: every group has learning rate 0 (train.lr_groups)');
  // LayerVariable.read() returns the underlying tf.Variable, which tf.variableGrads needs.
  const variables = trainedVars.map((v) => v.read() as tf.Variable);
  const base = cfg.lr_groups;
  const stepsPerEpoch = o.trainSource.numBatches;
  const opts = new GroupOptimizers(o.groups, base, cfg.adam_epsilon);
  const plateauCfg = cfg.reduce_lr_on_plateau;
  const monitor = cfg.early_stopping.monitor;

  let state: LoopState = {
    version: 1,
    epoch: 0,
    step_in_epoch: 0,
    global_step: 0,
    early_stopping: initialEarlyStopping(),
    plateau: initialPlateau(),
    partial: null,
    total_seconds: 0,
    finished: false,
    stopped_early: false,
  };
  let epochStart: tf.Tensor[] | null = null;
  let history: HistoryRecord[] = [];

  if (o.resume) {
    state = readLoopState(run.file('last'));
    if (state.finished) {
      opts.dispose();
      throw new TimError(`${run.dir} has finished (epoch ${state.epoch}${state.stopped_early ? ', stopped early' : ''}); nothing to resume`);
    }
    loadWeightsInto(o.tm, run.file('last'));
    const tensors = readCheckpointTensors(run.file('last'));
    const starts = tensors.filter((t) => t.name.startsWith(TAG_START));
    await opts.restore(tensors.filter((t) => !t.name.startsWith(TAG_START)), run.file('last'));
    if (state.step_in_epoch > 0) {
      if (starts.length !== variables.length) throw new TimError(`${run.file('last')}: epoch-start weights do not match the model`);
      epochStart = starts.map((t) => t.tensor);
    } else {
      tf.dispose(starts.map((t) => t.tensor));
    }
    // Drop lines of epochs the checkpoint does not cover (written after it was saved).
    history = run.readJsonLines<HistoryRecord>('history').filter((h) => h.epoch <= state.epoch);
    writeFileAtomic(run.file('history'), history.map((h) => `${JSON.stringify(h)}\n`).join(''));
  }

  const lrAt = (step: number): PerGroup<number> => {
    const f = scheduleFactor(cfg.schedule, step, stepsPerEpoch, cfg.epochs);
    const out: PerGroup<number> = { early: 0, middle: 0, head: 0 };
    for (const g of opts.trainedGroups) {
      let lr = base[g] * state.plateau.scale;
      if (plateauCfg && state.plateau.reductions > 0) lr = Math.max(lr, plateauCfg.min_lr);
      out[g] = lr * f;
    }
    return out;
  };

  const sessionStart = Date.now();
  const totalSeconds = (): number => state.total_seconds + (Date.now() - sessionStart) / 1000;

  const saveLast = async (st: LoopState, starts: tf.Tensor[] | null): Promise<void> => {
    const { tensors, owned } = await opts.state();
    const all = starts ? [...tensors, ...starts.map((t, i) => ({ name: `${TAG_START}${i}`, tensor: t }))] : tensors;
    try {
      await writeCheckpoint(write, o.tm, run.file('last'), { ...st, total_seconds: totalSeconds() }, all);
    } finally {
      tf.dispose(owned);
    }
  };

  let interrupted = false;
  try {
    for (let epoch = state.epoch + 1; epoch <= cfg.epochs && !state.finished; epoch++) {
      const skip = state.step_in_epoch;
      const partial = state.partial ?? { loss_sum: 0, correct: 0, count: 0, train_seconds: 0 };
      const epochLr = lrAt(state.global_step - skip);
      if (epochStart === null) epochStart = variables.map((v): tf.Tensor => tf.clone(v));
      let done = 0;
      let trainT0 = Date.now();
      for await (const b of o.trainSource.batches(epoch)) {
        if (done < skip) {
          tf.dispose([b.x, b.y]);
          done++;
          trainT0 = Date.now();
          continue;
        }
        try {
          opts.setLearningRates(lrAt(state.global_step));
          const r = withStepRandom(`${o.seed ?? 0}:${epoch}:${done}`, () =>
            batchGradients(
              { model: o.tm.model, variables, training: !o.freezeBackbone, microBatch: o.microBatch, loss: { numClasses: o.numClasses, labelSmoothing: cfg.label_smoothing, classWeights: o.classWeights } },
              b.x,
              b.y,
            ),
          );
          try {
            opts.apply(r.grads);
          } catch (e) {
            r.totals.dispose();
            throw e;
          } finally {
            tf.dispose(Object.values(r.grads));
          }
          // Read after the update is queued, so that a GPU is never idle waiting for it.
          const { loss, correct } = await stepTotals(r.totals);
          checkStepLoss(loss, { epoch, step: done + 1, lr: lrAt(state.global_step), lastGoodEpoch: state.epoch });
          partial.loss_sum += loss * r.count;
          partial.correct += correct;
          partial.count += r.count;
        } finally {
          tf.dispose([b.x, b.y]);
        }
        done++;
        state.global_step++;
        const now = Date.now();
        partial.train_seconds += (now - trainT0) / 1000;
        trainT0 = now;
        progress.update({
          epoch,
          epochs: cfg.epochs,
          done,
          total: stepsPerEpoch,
          images: partial.count,
          seconds: partial.train_seconds,
          loss: partial.loss_sum / Math.max(1, partial.count),
          acc: partial.correct / Math.max(1, partial.count),
        });
        // Let the event loop run (signal handlers fire there, not between resolved promises).
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (o.shouldStop?.()) {
          progress.clear();
          await saveLast({ ...state, step_in_epoch: done, partial }, epochStart);
          interrupted = true;
          break;
        }
      }
      if (interrupted) break;

      const valT0 = Date.now();
      await checkWeights(variables, { epoch, lr: epochLr, lastGoodEpoch: state.epoch });
      const val = await validate(o, epoch);
      const valSeconds = (Date.now() - valT0) / 1000;
      const ratios = await updateRatios(o.groups, epochStart);
      tf.dispose(epochStart);
      epochStart = null;
      const record: HistoryRecord = {
        epoch,
        train_loss: partial.count ? partial.loss_sum / partial.count : NaN,
        train_acc: partial.count ? partial.correct / partial.count : NaN,
        val_loss: val.val_loss,
        val_acc: val.val_acc,
        lr: epochLr,
        update_ratio: ratios,
        seconds: Math.round((partial.train_seconds + valSeconds) * 1000) / 1000,
        // Four significant digits: full-size models on the cpu backend train well under 0.01 img/s.
        images_per_sec: partial.train_seconds > 0 ? Number((partial.count / partial.train_seconds).toPrecision(4)) : 0,
        num_tensors: 0,
        rss_mb: rssMb(),
      };
      record.num_tensors = tf.memory().numTensors;
      run.appendJsonLine('history', record);
      history.push(record);
      const rise = lossRiseWarning(history, o.numClasses);
      if (rise) log.warn(rise);

      const es = updateEarlyStopping(state.early_stopping, cfg.early_stopping, epoch, val[monitor]);
      if (es.improved) await write(o.tm, run.file('best'), { 'epoch.json': `${JSON.stringify({ epoch, [monitor]: val[monitor] })}\n` });
      const plateau = plateauCfg ? updatePlateau(state.plateau, plateauCfg, val[plateauCfg.monitor]) : state.plateau;
      const notes: string[] = [];
      if (es.improved) notes.push('*best*');
      if (plateau.reductions > state.plateau.reductions) notes.push(`lr x${plateau.scale.toPrecision(3)}`);
      if (es.stop) notes.push(`early stop (${cfg.early_stopping.patience} epochs without a better ${monitor})`);
      progress.epoch(record, cfg.epochs, notes.join(' '));
      state = {
        ...state,
        epoch,
        step_in_epoch: 0,
        partial: null,
        early_stopping: es.state,
        plateau,
        finished: es.stop || epoch >= cfg.epochs,
        stopped_early: es.stop,
      };
      await saveLast(state, null);
      if (!state.finished && o.shouldStop?.()) {
        interrupted = true;
        break;
      }
    }
  } finally {
    if (epochStart) tf.dispose(epochStart);
    opts.dispose();
  }
  return {
    history,
    bestEpoch: state.early_stopping.bestEpoch,
    bestValue: state.early_stopping.best,
    stoppedEpoch: state.epoch,
    stoppedEarly: state.stopped_early,
    interrupted,
    totalSeconds: totalSeconds(),
  };
}
