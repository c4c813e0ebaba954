import { noiseRgb } from '../../../unit/data/images';
import { ppm } from './pillow-letterbox';

/** [width, height] of the pictures hashed by scripts/data_perceptual_hash.py: wide, tall, square, odd. */
export const HASH_CASES: Array<[number, number]> = [
  [37, 20], [20, 37], [64, 64], [100, 61], [300, 200], [33, 500], [512, 300], [129, 129],
];

export const hashPixels = (w: number, h: number): Buffer => noiseRgb(w, h, `phash-${w}x${h}`);
export const hashInputName = (w: number, h: number): string => `${w}x${h}.ppm`;
export const hashInputs = (): Record<string, Buffer> => Object.fromEntries(HASH_CASES.map(([w, h]) => [hashInputName(w, h), ppm(hashPixels(w, h), w, h)]));
