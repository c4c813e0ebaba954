import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config/schema';
import { TimError } from '../core/errors';
import { GROUP_NAMES } from '../models/types';
import { initialLoopState, type LoopState, type ModelWriter, saveModelFolder } from './checkpoint';
import type { FitOptions } from './fit-options';
import { GroupOptimizers } from './optimizers';
import { Progress } from './progress';
import { groupLearningRates } from './schedule';
import type { StepModel } from './step';
import type { HistoryRecord, PerGroup } from './types';

/** What every part of one fit shares, fixed for its length. */
export interface Trainer {
  options: FitOptions;
  config: TrainConfig;
  /** The trained variables of every group, in a fixed order. */
  variables: tf.Variable[];
  /** What a step's gradients are computed for. */
  stepModel: StepModel;
  optimizers: GroupOptimizers;
  stepsPerEpoch: number;
  writeModel: ModelWriter;
  progress: Progress;
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
  return {
    options,
    config,
    variables,
    stepModel: { model: options.tm.model, variables, training: !options.freezeBackbone, microBatch: options.microBatch, loss },
    optimizers: new GroupOptimizers(options.groups, config.lr_groups, config.adam_epsilon),
    stepsPerEpoch: options.trainSource.numBatches,
    writeModel,
    progress,
  };
}

/** A session of a run that has not trained yet. */
export function freshSession(): FitSession {
  return { state: initialLoopState(), epochStart: null, history: [], startedAt: Date.now() };
}

/** Seconds the run has trained: its earlier sessions' and this one's so far. */
export function totalSeconds(session: FitSession): number {
  return session.state.total_seconds + (Date.now() - session.startedAt) / 1000;
}

/** Each group's learning rate at a global step of the session. */
export function learningRatesAt(trainer: Trainer, session: FitSession, step: number): PerGroup<number> {
  return groupLearningRates(trainer.config, trainer.optimizers.trainedGroups, session.state.plateau, step, trainer.stepsPerEpoch);
}
