import seedrandom from 'seedrandom';
import { noiseRgb } from '../../../unit/data/images';

/** Square image sides of the inputs: even, as Tim's inputs are, and odd, where the centre falls on a pixel. */
export const POLICY_SIZES = [24, 17] as const;

/**
 * Each operation of torchvision's policies at fixed magnitudes (signed where the policy signs
 * them), including both ends of TrivialAugmentWide's ranges.
 */
export const POLICY_CASES: Array<[string, number]> = [
  ['Identity', 0],
  ['ShearX', 0.3], ['ShearX', -0.99], ['ShearY', 0.5], ['ShearY', -0.2],
  ['TranslateX', 7.6], ['TranslateX', -32], ['TranslateY', 5], ['TranslateY', -13.2],
  ['Rotate', 30], ['Rotate', -135], ['Rotate', 90], ['Rotate', 4.5],
  ['Brightness', 0.4], ['Brightness', -0.5], ['Brightness', 0.99],
  ['Color', 0.6], ['Color', -0.9],
  ['Contrast', 0.5], ['Contrast', -0.7],
  ['Sharpness', 0.9], ['Sharpness', -0.5],
  ['Posterize', 2], ['Posterize', 5], ['Posterize', 8],
  ['Solarize', 128], ['Solarize', 246.5], ['Solarize', 0],
  ['AutoContrast', 0], ['Equalize', 0],
];

/** RandomResizedCrop boxes [top, left, height, width] as fractions of the side, rounded down. */
export const CROP_CASES: Array<[number, number, number, number]> = [
  [0, 0, 1, 1], [0.1, 0.2, 0.5, 0.6], [0.3, 0, 0.7, 0.3], [0.5, 0.5, 0.1, 0.45], [0, 0.4, 0.9, 0.2],
];

export const cropBoxOf = (c: [number, number, number, number], size: number): [number, number, number, number] => {
  const [t, l, h, w] = c.map((v) => Math.floor(v * size)) as [number, number, number, number];
  return [t, l, Math.max(1, h), Math.max(1, w)];
};

/** RandomResizedCrop settings under which no try fits, so get_params falls back to its centre crop. */
export const CROP_FALLBACKS: Array<{ size: [number, number]; scale: [number, number]; ratio: [number, number] }> = [
  { size: [24, 24], scale: [0.95, 1], ratio: [5, 6] },
  { size: [17, 17], scale: [0.95, 1], ratio: [0.1, 0.2] },
  { size: [20, 30], scale: [0.99, 1], ratio: [2, 3] },
];

/** The input of one size: smooth colour blobs with seeded noise, the top rows black as under a letterbox. */
export function policyImage(size: number): Uint8Array {
  const rng = seedrandom(`policy-${size}`);
  const img = Uint8Array.from(noiseRgb(size, size, `policy-${size}`), (v) => Math.min(255, Math.max(0, v + Math.floor((rng() - 0.5) * 40))));
  img.fill(0, 0, size * 3 * Math.floor(size / 6));
  return img;
}
