import seedrandom from 'seedrandom';

export interface BatchNormCase {
  /** [N, H, W, C] or [N, C] */
  shape: number[];
  /** channels last */
  x: number[];
  weight: number[];
  bias: number[];
  running_mean: number[];
  running_var: number[];
  /** PyTorch's momentum (tfjs's is 1 minus it) */
  momentum: number;
  eps: number;
  steps: number;
}

/**
 * The one-channel example [1, 2, 3, 4] (running variance 1 → 1.0667 in PyTorch, 1.025 with the
 * biased variance), and random batches whose channel counts take the JavaScript loops (7) and
 * the SIMD ones (12, 16) of the fused kernels.
 */
export function batchNormCases(): BatchNormCase[] {
  const rng = seedrandom('torch-batchnorm');
  const uniform = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => lo + (hi - lo) * rng());
  const example = (shape: number[]): BatchNormCase => ({
    shape, x: [1, 2, 3, 4], weight: [1], bias: [0], running_mean: [0], running_var: [1], momentum: 0.1, eps: 1e-5, steps: 1,
  });
  const random = (shape: number[], steps: number, momentum = 0.1): BatchNormCase => {
    const c = shape[shape.length - 1]!;
    const size = shape.reduce((a, b) => a * b, 1);
    return {
      shape,
      x: uniform(size, -3, 5),
      weight: uniform(c, 0.5, 1.5),
      bias: uniform(c, -1, 1),
      running_mean: uniform(c, -0.5, 0.5),
      running_var: uniform(c, 0.5, 1.5),
      momentum,
      eps: 1e-5,
      steps,
    };
  };
  return [
    example([1, 2, 2, 1]),
    example([4, 1]),
    random([3, 5, 6, 7], 1),
    random([3, 5, 6, 12], 2),
    random([2, 3, 3, 16], 3, 0.3),
    random([9, 2, 2, 8], 1),
    random([2, 1, 1, 5], 1),
    random([9, 5], 2),
  ];
}
