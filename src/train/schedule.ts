import type { TrainConfig } from '../config/schema';
import type { GroupName } from '../models/types';
import type { Monitor, PerGroup } from './types';
import type { EarlyStoppingState, PlateauState } from '../io/run-folder';

export type { EarlyStoppingState, PlateauState } from '../io/run-folder';

/**
 * Learning-rate factor of the step schedule at a global step: linear warm-up from 1/warmup to
 * 1, then constant or a cosine from 1 down to `min_factor` at the last step.
 */
export function scheduleFactor(schedule: TrainConfig['schedule'], step: number, stepsPerEpoch: number, epochs: number): number {
  const warmupSteps = Math.round(schedule.warmup_epochs * stepsPerEpoch);
  if (warmupSteps > 0 && step < warmupSteps) return (step + 1) / warmupSteps;
  if (schedule.type === 'constant') return 1;
  const total = Math.max(1, epochs * stepsPerEpoch - warmupSteps);
  const t = Math.min(1, Math.max(0, (step - warmupSteps) / total));
  return schedule.min_factor + (1 - schedule.min_factor) * 0.5 * (1 + Math.cos(Math.PI * t));
}

/** Whether `value` beats `best` by more than `minDelta` for this monitor. */
export function improves(monitor: Monitor, value: number, best: number | null, minDelta = 0): boolean {
  if (best === null || !Number.isFinite(best)) return Number.isFinite(value);
  return monitor === 'val_acc' ? value > best + minDelta : value < best - minDelta;
}

/** Early stopping: serialisable state and a pure update. */

export function initialEarlyStopping(): EarlyStoppingState {
  return { best: null, bestEpoch: 0, wait: 0 };
}

export function updateEarlyStopping(
  s: EarlyStoppingState,
  cfg: TrainConfig['early_stopping'],
  epoch: number,
  value: number,
): { state: EarlyStoppingState; improved: boolean; stop: boolean } {
  if (improves(cfg.monitor, value, s.best, cfg.min_delta)) {
    return { state: { best: value, bestEpoch: epoch, wait: 0 }, improved: true, stop: false };
  }
  const wait = s.wait + 1;
  return { state: { ...s, wait }, improved: false, stop: wait >= cfg.patience };
}

/**
 * ReduceLROnPlateau as PyTorch's: after more than `patience` epochs without improvement the
 * factor of every group is multiplied by `factor` (never below min_lr for groups that train).
 */

export function initialPlateau(): PlateauState {
  return { best: null, bad: 0, scale: 1, reductions: 0 };
}

export function updatePlateau(s: PlateauState, cfg: NonNullable<TrainConfig['reduce_lr_on_plateau']>, value: number): PlateauState {
  if (improves(cfg.monitor, value, s.best)) return { ...s, best: value, bad: 0 };
  const bad = s.bad + 1;
  if (bad > cfg.patience) return { ...s, bad: 0, scale: s.scale * cfg.factor, reductions: s.reductions + 1 };
  return { ...s, bad };
}

/**
 * Each trained group's learning rate at a global step: its base rate times the plateau's scale
 * (not below min_lr once the plateau has reduced it), times the schedule's factor; 0 for the
 * groups that do not train.
 */
export function groupLearningRates(train: TrainConfig, trained: readonly GroupName[], plateau: PlateauState, step: number, stepsPerEpoch: number): PerGroup<number> {
  const factor = scheduleFactor(train.schedule, step, stepsPerEpoch, train.epochs);
  const floor = plateau.reductions > 0 ? train.reduce_lr_on_plateau?.min_lr : undefined;
  const rates: PerGroup<number> = { early: 0, middle: 0, head: 0 };
  for (const group of trained) {
    const scaled = train.lr_groups[group] * plateau.scale;
    rates[group] = (floor === undefined ? scaled : Math.max(scaled, floor)) * factor;
  }
  return rates;
}
