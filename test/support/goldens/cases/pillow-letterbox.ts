import { noiseRgb } from '../../../unit/data/images';

/** [width, height, output size]: wide, tall, odd and extreme pictures. */
export const LETTERBOX_CASES: Array<[number, number, number]> = [
  [37, 20, 32], [20, 37, 32], [101, 60, 33], [60, 101, 33], [45, 45, 24], [90, 31, 40], [31, 90, 41], [300, 7, 32],
];

export const letterboxPixels = (w: number, h: number): Buffer => noiseRgb(w, h, `${w}x${h}`);

/** The picture as a binary PPM: lossless, and written the same way by every Node version. */
export function ppm(rgb: Buffer, width: number, height: number): Buffer {
  return Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`, 'ascii'), rgb]);
}

export const letterboxInputName = (w: number, h: number): string => `${w}x${h}.ppm`;
export const letterboxOutputName = (w: number, h: number, size: number): string => `${w}x${h}-${size}.rgb`;
