import type { ResizeMode } from '../config/schema';
import type { ContentBox } from './types';

/**
 * Python's `round`: halves go to the even neighbour. Letterbox placement follows Pillow's
 * `ImageOps.pad`, which uses it, so that Tim puts the picture on exactly the same pixels as
 * the reference project's preprocessing did.
 */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Where a `width`×`height` picture lands inside the `size`×`size` input. */
export function contentBoxOf(width: number, height: number, size: number, resize: ResizeMode): ContentBox {
  if (resize === 'stretch' || width === height) return { x: 0, y: 0, width: size, height: size };
  if (width > height) {
    const h = Math.max(1, Math.min(size, roundHalfEven((height / width) * size)));
    return { x: 0, y: roundHalfEven((size - h) * 0.5), width: size, height: h };
  }
  const w = Math.max(1, Math.min(size, roundHalfEven((width / height) * size)));
  return { x: roundHalfEven((size - w) * 0.5), y: 0, width: w, height: size };
}
