import sharp, { type Sharp } from 'sharp';
import type { ResizeMode, TimConfig } from '../config/schema';
import { oneLine, TimError } from '../core/errors';
import { contentBoxOf } from './geometry';
import type { PreparedImage, PreprocessSpec } from './types';

/** The preprocessing a config asks for; recorded with every run so inference repeats it. */
export function preprocessSpecOf(config: TimConfig): PreprocessSpec {
  return {
    image_size: config.data.image_size,
    resize: config.data.resize,
    mean: [...config.augment.normalize.mean],
    std: [...config.augment.normalize.std],
  };
}

/**
 * Opens an image for decoding: only the first frame of animations, and a truncated file is an
 * error rather than a half-grey picture.
 */
export function openImage(file: string | Buffer): Sharp {
  return sharp(file, { failOn: 'truncated', pages: 1, autoOrient: true });
}

/** Width and height after EXIF orientation. */
export async function orientedSize(file: string | Buffer): Promise<{ width: number; height: number; format: string }> {
  const meta = await sharp(file, { failOn: 'truncated', pages: 1 }).metadata();
  const oriented = meta.autoOrient;
  const width = oriented?.width ?? meta.width;
  const height = oriented?.height ?? meta.pageHeight ?? meta.height;
  if (!width || !height) throw new Error('no image dimensions');
  return { width, height, format: meta.format };
}

/**
 * Decodes an image into the model's square: EXIF auto-orientation; any colour space, alpha or
 * bit depth to 8-bit sRGB RGB (alpha is dropped, as PIL's `convert('RGB')` does); `letterbox`
 * keeps the aspect ratio and centres the picture on black, `stretch` fills the square.
 * Downscaling JPEGs uses libjpeg's shrink-on-load, which is what makes the cache build fast.
 */
export async function prepareImage(
  file: string | Buffer,
  spec: { image_size: number; resize: ResizeMode },
): Promise<PreparedImage> {
  const name = typeof file === 'string' ? file : '<buffer>';
  try {
    return await decodePrepared(file, spec);
  } catch (e) {
    if (e instanceof TimError) throw e;
    throw new TimError(`${name}: cannot decode image (${decodeReason(oneLine(e))})`);
  }
}

/**
 * libvips keeps one error buffer per process, so a decode that fails while others run may
 * report its messages several times, or only "Unknown error". The reason is cleaned of
 * repeats; callers decode a failure without one once more, alone, to learn it.
 */
export function decodeReason(message: string): string {
  const parts = message.split(/\s+(?=Vips\w*: )/).map((p) => p.trim());
  return [...new Set(parts)].join(' ');
}

/** Whether a decode failure came without its reason (see decodeReason): decode it again, alone. */
export function reasonLost(message: string): boolean {
  return /unknown error|\(\s*\)$/i.test(message);
}

async function decodePrepared(file: string | Buffer, spec: { image_size: number; resize: ResizeMode }): Promise<PreparedImage> {
  const size = spec.image_size;
  const { width, height } = await orientedSize(file);
  const box = contentBoxOf(width, height, size, spec.resize);
  const { data, info } = await openImage(file)
    .resize(box.width, box.height, { fit: 'fill', kernel: 'cubic' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== box.width || info.height !== box.height || info.channels !== 3) {
    throw new Error(`decoder returned ${info.width}x${info.height}x${info.channels}`);
  }
  return { data: placeInSquare(data, box, size), size, box };
}

/** Copies resized RGB rows into a black `size`×`size` canvas at the content box. */
function placeInSquare(rgb: Uint8Array, box: { x: number; y: number; width: number; height: number }, size: number): Uint8Array {
  if (box.width === size && box.height === size) return new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength).slice();
  const out = new Uint8Array(size * size * 3);
  const rowBytes = box.width * 3;
  for (let r = 0; r < box.height; r++) {
    const src = r * rowBytes;
    out.set(rgb.subarray(src, src + rowBytes), ((box.y + r) * size + box.x) * 3);
  }
  return out;
}
