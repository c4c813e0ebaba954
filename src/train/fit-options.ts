import type { TrainConfig } from '../config/schema';
import type { RunFolder } from '../io/run-folder';
import type { TimModel } from '../models/types';
import type { ModelWriter } from './checkpoint';
import type { GroupVariables } from './groups';
import type { Progress } from './progress';
import type { BatchSource, HistoryRecord } from './types';

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
  /** train.loss logit_adjusted: tau·log of the training priors, added to the logits of the training loss only. */
  logitAdjustment?: number[];
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
