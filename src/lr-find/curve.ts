/**
 * The learning-rate finder's arithmetic, as fastai's `lr_find` defines it (Smith 2015, "Cyclical
 * learning rates"): an exponential sweep of the rate, the loss smoothed by a debiased moving
 * average, a stop once it diverges, and two suggestions read off the smoothed curve.
 */

/** fastai's smoothing of the recorded loss. */
export const SMOOTHING_BETA = 0.98;
/** The sweep stops once the smoothed loss exceeds this many times its best. */
export const DIVERGENCE_FACTOR = 4;

/** The rate of step `step` (0-based) of a sweep of `steps` from `start` towards `end`: start·(end/start)^(step/steps). */
export function sweepRate(start: number, end: number, step: number, steps: number): number {
  return start * (end / start) ** (step / steps);
}

/**
 * The debiased exponential moving average of the step losses: avg ← β·avg + (1 − β)·loss,
 * reported as avg / (1 − β^n) after n losses, so the first values are not pulled towards 0.
 */
export class SmoothedLoss {
  private average = 0;
  private count = 0;
  private best = Infinity;

  constructor(private readonly beta = SMOOTHING_BETA) {}

  /** Adds a step's loss; returns the smoothed loss and whether it has now diverged. */
  add(loss: number): { smoothed: number; diverged: boolean } {
    this.count++;
    this.average = this.beta * this.average + (1 - this.beta) * loss;
    const smoothed = this.average / (1 - this.beta ** this.count);
    if (smoothed < this.best) this.best = smoothed;
    return { smoothed, diverged: !Number.isFinite(smoothed) || smoothed > DIVERGENCE_FACTOR * this.best };
  }
}

/** A suggested head learning rate and the smoothed loss there. */
export interface Suggestion {
  lr: number;
  loss: number;
}

export interface Suggestions {
  /** Where the smoothed loss falls fastest against log(lr). */
  steepest: Suggestion;
  /** Partway down the longest valley of the curve (fastai's default since 2.5). */
  valley: Suggestion;
}

/**
 * The part of the curve the suggestions read, as fastai trims it: the first tenth of the
 * planned steps (the smoothing's warm-up) and the last 5 points (the divergence) dropped.
 */
export function trimmedCurve(lrs: readonly number[], losses: readonly number[], plannedSteps: number): { lrs: number[]; losses: number[] } {
  const from = Math.floor(plannedSteps / 10);
  const to = Math.max(from, lrs.length - 5);
  return { lrs: lrs.slice(from, to), losses: losses.slice(from, to) };
}

/** The point left of the most negative slope d(loss)/d(ln lr) between neighbours. */
export function steepest(lrs: readonly number[], losses: readonly number[]): Suggestion {
  let best = 0;
  let bestSlope = Infinity;
  for (let i = 0; i + 1 < lrs.length; i++) {
    const slope = ((losses[i + 1] as number) - (losses[i] as number)) / (Math.log(lrs[i + 1] as number) - Math.log(lrs[i] as number));
    if (slope < bestSlope) {
      bestSlope = slope;
      best = i;
    }
  }
  return { lr: lrs[best] as number, loss: losses[best] as number };
}

/**
 * fastai's valley: the longest strictly decreasing run of losses (a subsequence, not
 * necessarily contiguous), the first one found when several are as long; the suggestion lies
 * ⌊s⌋ + ⌊s/2⌋ points past its start, s a third of its span (about half-way down it).
 */
export function valley(lrs: readonly number[], losses: readonly number[]): Suggestion {
  const n = losses.length;
  // lengths[i]: the longest decreasing subsequence ending at point i.
  const lengths = new Array<number>(n).fill(1);
  let end = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if ((losses[i] as number) < (losses[j] as number)) lengths[i] = Math.max(lengths[i] as number, (lengths[j] as number) + 1);
    }
    if ((lengths[i] as number) > (lengths[end] as number)) end = i;
  }
  // As fastai counts it, the start lies one before the run's first point.
  const start = end - (lengths[end] as number);
  const third = (end - start) / 3;
  // A run of one or two points from the very first would land before it: its first point then.
  const at = Math.max(0, start + Math.floor(third) + Math.floor(third / 2));
  return { lr: lrs[at] as number, loss: losses[at] as number };
}

/** Both suggestions from a recorded sweep, or null when too few points remain after trimming. */
export function suggest(lrs: readonly number[], losses: readonly number[], plannedSteps: number): Suggestions | null {
  const t = trimmedCurve(lrs, losses, plannedSteps);
  if (t.lrs.length < 2) return null;
  return { steepest: steepest(t.lrs, t.losses), valley: valley(t.lrs, t.losses) };
}
