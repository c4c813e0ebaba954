import type { TimConfig } from '../config/schema';
import { evaluateRun } from '../evaluate/evaluate-run';
import { train } from '../train/train';

/**
 * What a sweep does for each run, behind one seam: training (src/train) and evaluation
 * (src/evaluate) by default, fakes in tests.
 */
export interface RunSteps {
  /** Trains into `out` (a new folder, or continues it when `resume` is set). */
  train(config: TimConfig, opts: { out: string; force?: boolean; resume?: string }): Promise<unknown>;
  /** Evaluates a trained run folder, writing metrics.json and confusion.csv into it. */
  evaluate(runDir: string, opts: { bootstrap?: number; seed?: number }): Promise<unknown>;
}

/** Training and evaluation as the project provides them. */
export function defaultRunSteps(): RunSteps {
  return { train: (config, opts) => train(config, opts), evaluate: (runDir, opts) => evaluateRun(runDir, opts) };
}
