import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/schema';
import { TimError } from '../core/errors';
import { GROUP_NAMES, type GroupName } from '../models/types';
import { initialLoopState, type LoopState, type ModelWriter, saveModelFolder } from './checkpoint';
import type { FitOptions } from './fit-options';
import { GroupOptimizers } from './optimizers';
import { Progress } from './progress';
import { groupLearningRates } from './schedule';
import type { StepModel } from './step';
import type { HistoryRecord, PerGroup } from './types';
import { groupWeightDecay } from './weight-decay';
import { WeightAverage } from './ema';

/** What every part of one fit shares, fixed for its length. */
export interface Trainer {
  options: FitOptions;
  config: TrainConfig;
  /** The trained variables of every group, in a fixed order. */
  variables: tf.Variable[];
  /** What trains in every epoch, or (headOnly) in the first train.freeze_epochs epochs. */
  phases: { all: Phase; headOnly: Phase | null };
  optimizers: GroupOptimizers;
  stepsPerEpoch: number;
  writeModel: ModelWriter;
  progress: Progress;
  /** The moving average of the weights (train.ema), or null. */
  ema: WeightAverage | null;
}

/** What one epoch trains: the groups that step and the model their gradients are computed for. */
export interface Phase {
  groups: GroupName[];
  stepModel: StepModel;
}

/** Where one fit stands: the state last/ saves, the weights an unfinished epoch started from, the history so far. */
export interface FitSession {
  state: LoopState;
  /** Copies of the trained variables at the start of the epoch in progress (its update ratios need them). */
  epochStart: tf.Tensor[] | null;
  history: HistoryRecord[];
  /** When this session began to train (Date.now()). */
  startedAt: number;
}

/** The trainer for `options`; fails before any tensor is made when nothing would train. */
export function createTrainer(options: FitOptions): Trainer {
  const config = options.train;
  const writeModel = options.writeModel ?? saveModelFolder;
  const progress = options.progress ?? new Progress();
  const trained = GROUP_NAMES.flatMap((group) => options.groups[group]);
  if (trained.length === 0) throw new TimError('nothing to train: every group has learning rate 0 (train.lr_groups)');
  // LayerVariable.read() returns the underlying tf.Variable, which tf.variableGrads needs.
  const variables = trained.map((v) => v.read() as tf.Variable);
  const loss = { numClasses: options.numClasses, labelSmoothing: config.label_smoothing, classWeights: options.classWeights, logitAdjustment: options.logitAdjustment };
  const stepModel = (vars: tf.Variable[], training: boolean): StepModel => ({ model: options.tm.model, variables: vars, training, microBatch: options.microBatch, loss });
  const optimizers = new GroupOptimizers(options.groups, config.lr_groups, config.adam_epsilon, groupWeightDecay(options.groups, config));
  return {
    options,
    config,
    variables,
    phases: {
      all: { groups: optimizers.trainedGroups, stepModel: stepModel(variables, !options.freezeBackbone) },
      headOnly: config.freeze_epochs > 0 ? headOnlyPhase(options, stepModel) : null,
    },
    optimizers,
    stepsPerEpoch: options.trainSource.numBatches,
    writeModel,
    progress,
    ema: config.ema ? new WeightAverage(options.tm.model.weights, config.ema) : null,
  };
}

/**
 * The phase of train.freeze_epochs: the head alone, the whole model in inference mode so that
 * the backbone's BatchNorm statistics stay as they are (tfjs's BatchNorm uses and updates batch
 * statistics in training mode whether or not its layer is trainable).
 */
function headOnlyPhase(options: FitOptions, stepModel: (vars: tf.Variable[], training: boolean) => StepModel): Phase {
  const head = options.groups.head.map((v) => v.read() as tf.Variable);
  if (head.length === 0) throw new TimError(`train.freeze_epochs is ${options.train.freeze_epochs}, but the head does not train (train.lr_groups.head is ${options.train.lr_groups.head})`);
  return { groups: ['head'], stepModel: stepModel(head, false) };
}

/** What trains in `epoch` (1-based). */
export function phaseOf(trainer: Trainer, epoch: number): Phase {
  return trainer.phases.headOnly && epoch <= trainer.config.freeze_epochs ? trainer.phases.headOnly : trainer.phases.all;
}

/**
 * Runs `fn` (validation, saving best/) on the weights a run is judged by: the moving average
 * when train.ema is on, else the trained weights.
 */
export function withEvaluatedWeights<T>(trainer: Trainer, fn: () => Promise<T> | T): Promise<T> {
  return trainer.ema ? trainer.ema.swappedIn(fn) : Promise.resolve().then(fn);
}

/** A session of a run that has not trained yet. */
export function freshSession(): FitSession {
  return { state: initialLoopState(), epochStart: null, history: [], startedAt: Date.now() };
}

/** Seconds the run has trained: its earlier sessions' and this one's so far. */
export function totalSeconds(session: FitSession): number {
  return session.state.total_seconds + (Date.now() - session.startedAt) / 1000;
}

/** Each group's learning rate at a global step of the session (0 for a group the phase does not train). */
export function learningRatesAt(trainer: Trainer, session: FitSession, step: number, phase: Phase): PerGroup<number> {
  return groupLearningRates(trainer.config, phase.groups, session.state.plateau, step, trainer.stepsPerEpoch);
}
