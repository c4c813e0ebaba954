import seedrandom from 'seedrandom';

export const JITTER_SHAPE = { height: 6, width: 5 };
export const JITTER_ORDER = ['contrast', 'saturation', 'brightness'] as const;
export const JITTER_FACTORS = { brightness: [1.3], contrast: [0.6], saturation: [1.7] };

/** One HWC float32 image in [0, 1]. */
export function jitterInput(): Float32Array {
  const rng = seedrandom('tv');
  return Float32Array.from({ length: JITTER_SHAPE.height * JITTER_SHAPE.width * 3 }, () => rng());
}
