import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import seedrandom from 'seedrandom';

/** Random RGB pixels in [lo, hi] (no pure black, so padding can be told from content). */
export function noiseRgb(width: number, height: number, seed: string, lo = 40, hi = 215): Buffer {
  const rng = seedrandom(seed);
  const buf = Buffer.alloc(width * height * 3);
  // Smooth blobs rather than white noise, so that resampling kernels agree closely.
  const cx = rng() * width, cy = rng() * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy) / Math.max(width, height);
      const i = (y * width + x) * 3;
      buf[i] = lo + (hi - lo) * (0.5 + 0.5 * Math.sin(d * 9));
      buf[i + 1] = lo + (hi - lo) * (0.5 + 0.5 * Math.cos(x / 5));
      buf[i + 2] = lo + (hi - lo) * (y / Math.max(1, height - 1));
    }
  }
  return buf;
}

export function solidRgb(width: number, height: number, rgb: [number, number, number]): Buffer {
  const buf = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) buf.set(rgb, i * 3);
  return buf;
}

export type Kind = 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif';

/** Writes an RGB buffer as an image file of the given kind, creating folders. */
export async function writeImage(file: string, rgb: Buffer, width: number, height: number, kind: Kind = 'png'): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(rgb, { raw: { width, height, channels: 3 } });
  const encoded = {
    jpeg: () => img.jpeg({ quality: 95 }),
    png: () => img.png(),
    webp: () => img.webp({ lossless: true }),
    tiff: () => img.tiff(),
    gif: () => img.gif(),
  }[kind]();
  await encoded.toFile(file);
}

export async function writeNoise(file: string, width: number, height: number, kind: Kind = 'png', seed = file): Promise<void> {
  await writeImage(file, noiseRgb(width, height, seed), width, height, kind);
}
