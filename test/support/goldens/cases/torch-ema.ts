import seedrandom from 'seedrandom';

/** A Linear(3, 4) and BatchNorm1d(4): its weights and moving statistics, in state_dict order. */
export const EMA_TENSORS = [
  ['linear.weight', 12],
  ['linear.bias', 4],
  ['bn.weight', 4],
  ['bn.bias', 4],
  ['bn.running_mean', 4],
  ['bn.running_var', 4],
] as const;

export interface EmaCase {
  decay: number;
  warmup: boolean;
  /** The tensors (flat) before the first step. */
  initial: number[][];
  /** The tensors (flat) after each optimiser step. */
  states: number[][][];
}

/** Decays with and without the warm-up, one where the warm-up gives way to the decay within the steps. */
export function emaCases(): EmaCase[] {
  const rng = seedrandom('torch-ema');
  const tensors = (): number[][] => EMA_TENSORS.map(([name, size]) => Array.from({ length: size }, () => (name.endsWith('running_var') ? 0.5 + rng() : rng() * 2 - 1)));
  const make = (decay: number, warmup: boolean, steps: number): EmaCase => ({ decay, warmup, initial: tensors(), states: Array.from({ length: steps }, tensors) });
  return [make(0.9, true, 6), make(0.75, false, 4), make(0.3, true, 12)];
}
