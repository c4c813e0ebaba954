import { NotAvailableError } from '../core/errors';
import type { TimConfig } from '../config/schema';

/**
 * What a sweep does for each run, behind one seam: training (src/train) and evaluation
 * (src/evaluate) by default, fakes in tests. The real modules are loaded only when a sweep
 * runs, so listing, sharding and summarising work without them.
 */
export interface RunSteps {
  /** Trains into `out` (a new folder, or continues it when `resume` is set). */
  train(config: TimConfig, opts: { out: string; force?: boolean; resume?: string }): Promise<unknown>;
  /** Evaluates a trained run folder, writing metrics.json and confusion.csv into it. */
  evaluate(runDir: string, opts: { bootstrap?: number; seed?: number }): Promise<unknown>;
}

type TrainFn = (config: TimConfig, opts: { out?: string; force?: boolean; resume?: string }) => Promise<unknown>;
type EvaluateFn = (runDir: string, opts?: { bootstrap?: number; seed?: number }) => Promise<unknown>;

function loadFunction<T>(modulePath: string, name: string, what: string): T {
  let mod: Record<string, unknown>;
  try {
    mod = require(modulePath) as Record<string, unknown>;
  } catch (e) {
    // Only the module itself being absent means "not available"; a missing import inside it is a bug.
    const err = e as { code?: string; message?: string };
    if (err.code === 'MODULE_NOT_FOUND' && err.message?.includes(`'${modulePath}'`)) throw new NotAvailableError(what);
    throw e;
  }
  const fn = mod[name];
  if (typeof fn !== 'function') throw new NotAvailableError(what);
  return fn as T;
}

/** Training and evaluation as the project provides them. */
export function defaultRunSteps(): RunSteps {
  return {
    train: (config, opts) => loadFunction<TrainFn>('../train', 'train', 'training (src/train)')(config, opts),
    evaluate: (runDir, opts) => loadFunction<EvaluateFn>('../evaluate', 'evaluateRun', 'evaluation (src/evaluate)')(runDir, opts),
  };
}
