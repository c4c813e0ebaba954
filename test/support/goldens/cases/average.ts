import seedrandom from 'seedrandom';

/**
 * Weights of several checkpoints to average, as float32 values: ordinary ones, large ones whose
 * float32 running sum would round away the small parts, and sums that cancel.
 */
export function averageCases(): { runs: number; length: number; values: Float32Array } {
  const rng = seedrandom('checkpoint-average');
  const runs = 5;
  const length = 600;
  const values = new Float32Array(runs * length);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < length; i++) {
      const kind = i % 3;
      const v = kind === 0 ? (rng() - 0.5) * 2 : kind === 1 ? 1e7 * (1 + rng()) + rng() : (r % 2 ? -1 : 1) * 3e4 + (rng() - 0.5) * 1e-3;
      values[r * length + i] = v;
    }
  }
  return { runs, length, values };
}
