import { roundHalfEven } from './geometry';
import { POLICY_OPS, type PolicyOp } from './policy-ops';
import { randomInt } from './random';

/** `augment.policy`, parsed: none, torchvision's `TrivialAugmentWide()` or `RandAugment(num_ops=n, magnitude=m)`. */
export type Policy = { kind: 'none' } | { kind: 'trivialaugment' } | { kind: 'randaugment'; n: number; m: number };

/** Magnitude bins of both policies (torchvision's `num_magnitude_bins` default). */
export const MAGNITUDE_BINS = 31;

export const POLICY_PATTERN = /^(none|trivialaugment|randaugment\(\s*(\d+)\s*,\s*(\d+)\s*\))$/;

/** The policy a valid `augment.policy` string names (the schema checks the syntax and ranges). */
export function parsePolicy(text: string): Policy {
  const match = POLICY_PATTERN.exec(text.trim());
  if (!match || match[1] === 'none') return { kind: 'none' };
  if (match[1] === 'trivialaugment') return { kind: 'trivialaugment' };
  return { kind: 'randaugment', n: Number(match[2]), m: Number(match[3]) };
}

/** torch.linspace's k-th of `bins` values, in float32 as torch holds them. */
function linspace(start: number, end: number, k: number, bins: number): number {
  return Math.fround(start + ((end - start) * k) / (bins - 1));
}

interface OpRange {
  /** The op's magnitude at bin k, or undefined for ops without one (magnitude 0). */
  at?: (k: number) => number;
  signed: boolean;
}

/**
 * torchvision's augmentation spaces: TrivialAugmentWide's wide ranges, RandAugment's (whose
 * translation is 150/331 of the image side). Posterize's bits fall from 8 to 2 (4 for RandAugment).
 */
function augmentationSpace(kind: 'trivialaugment' | 'randaugment', size: number): Record<PolicyOp, OpRange> {
  const wide = kind === 'trivialaugment';
  const B = MAGNITUDE_BINS;
  const lin = (end: number): OpRange => ({ at: (k) => linspace(0, end, k, B), signed: true });
  const translate = wide ? 32 : (150 / 331) * size;
  return {
    Identity: { signed: false },
    ShearX: lin(wide ? 0.99 : 0.3),
    ShearY: lin(wide ? 0.99 : 0.3),
    TranslateX: lin(translate),
    TranslateY: lin(translate),
    Rotate: lin(wide ? 135 : 30),
    Brightness: lin(wide ? 0.99 : 0.9),
    Color: lin(wide ? 0.99 : 0.9),
    Contrast: lin(wide ? 0.99 : 0.9),
    Sharpness: lin(wide ? 0.99 : 0.9),
    Posterize: { at: (k) => 8 - roundHalfEven(Math.fround(k / ((B - 1) / (wide ? 6 : 4)))), signed: false },
    Solarize: { at: (k) => linspace(255, 0, k, B), signed: false },
    AutoContrast: { signed: false },
    Equalize: { signed: false },
  };
}

/** One operation of a policy with its signed magnitude. */
export interface PolicyStep {
  op: PolicyOp;
  magnitude: number;
}

/**
 * The operations one image gets: TrivialAugment draws one op, a bin and a sign; RandAugment
 * draws `n` ops, each at bin `m` with a random sign. A fixed number of draws per op, so the
 * stream does not depend on which op came up.
 */
export function drawPolicy(rng: () => number, policy: Policy, size: number): PolicyStep[] {
  if (policy.kind === 'none') return [];
  const space = augmentationSpace(policy.kind, size);
  const count = policy.kind === 'randaugment' ? policy.n : 1;
  const steps: PolicyStep[] = [];
  for (let i = 0; i < count; i++) {
    const op = POLICY_OPS[randomInt(rng, 0, POLICY_OPS.length)] ?? 'Identity';
    const bin = policy.kind === 'randaugment' ? policy.m : randomInt(rng, 0, MAGNITUDE_BINS);
    const negative = rng() < 0.5;
    const range = space[op];
    const magnitude = range.at ? range.at(bin) : 0;
    steps.push({ op, magnitude: range.signed && negative ? -magnitude : magnitude });
  }
  return steps;
}
