import seedrandom from 'seedrandom';

/** One weight: its name (PyTorch's, whose `.bias` suffix timm's exclusion reads), Tim group, shape and values. */
export interface AdamWParam {
  name: string;
  group: 'early' | 'middle' | 'head';
  shape: number[];
  values: number[];
}

export interface AdamWCase {
  betas: [number, number];
  eps: number;
  /** Each group's weight decay (train.weight_decay with its overrides resolved). */
  weight_decay: { early: number; middle: number; head: number };
  /** Decay the 1-D weights too (train.weight_decay_1d). */
  weight_decay_1d: boolean;
  params: AdamWParam[];
  /** Per step: the learning rate of every group and one gradient per param. */
  steps: { lr: number; grads: number[][] }[];
}

/**
 * A conv kernel, a dense kernel, a bias, a norm's scale and shift and a LayerScale gamma, in
 * sizes that take the wasm kernel's scalar tail (7), its SIMD body (12) and both (13, 54); one
 * step, several with a changing learning rate, per-group rates, and the 1-D weights decayed.
 */
export function adamWCases(): AdamWCase[] {
  const rng = seedrandom('torch-adamw');
  const uniform = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => lo + (hi - lo) * rng());
  const param = (name: string, group: AdamWParam['group'], shape: number[]): AdamWParam => ({ name, group, shape, values: uniform(shape.reduce((a, b) => a * b, 1), -1, 1) });
  const params = (): AdamWParam[] => [
    param('features.0.conv.weight', 'early', [3, 3, 2, 3]),
    param('features.0.bn.weight', 'early', [7]),
    param('features.0.bn.bias', 'early', [7]),
    param('features.1.layer_scale', 'middle', [13]),
    param('features.1.fc.weight', 'middle', [3, 4]),
    param('features.1.fc.bias', 'middle', [12]),
    param('classifier.weight', 'head', [13, 1]),
    param('classifier.bias', 'head', [3]),
  ];
  const steps = (lrs: number[], ps: AdamWParam[]): AdamWCase['steps'] => lrs.map((lr) => ({ lr, grads: ps.map((p) => uniform(p.values.length, -0.5, 0.5)) }));
  const make = (wd: AdamWCase['weight_decay'], decay1d: boolean, lrs: number[]): AdamWCase => {
    const ps = params();
    return { betas: [0.9, 0.999], eps: 1e-8, weight_decay: wd, weight_decay_1d: decay1d, params: ps, steps: steps(lrs, ps) };
  };
  return [
    make({ early: 0.5, middle: 0.5, head: 0.5 }, false, [0.01]),
    make({ early: 0.05, middle: 0.3, head: 1 }, false, [0.01, 0.004, 0.02]),
    make({ early: 0.2, middle: 0.2, head: 0 }, true, [0.005, 0.01]),
  ];
}
