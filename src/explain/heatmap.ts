import type { ContentBox } from '../data/types';

/** A single-channel map, row-major. */
export interface Map2D {
  width: number;
  height: number;
  values: Float32Array;
}

/** Min–max rescaling to [0, 1]; a constant map becomes all zeros. */
export function normalizeMap(m: Map2D): Map2D {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of m.values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  const values = new Float32Array(m.values.length);
  if (span > 0) for (let i = 0; i < values.length; i++) values[i] = ((m.values[i] ?? 0) - lo) / span;
  return { width: m.width, height: m.height, values };
}

/**
 * The part of a square input-resolution map that covers the picture itself (the letterbox
 * padding is cut off), rescaled to [0, 1] over that area.
 */
export function cropToContent(square: Float32Array, size: number, box: ContentBox): Map2D {
  const values = new Float32Array(box.width * box.height);
  for (let r = 0; r < box.height; r++) {
    const src = (box.y + r) * size + box.x;
    values.set(square.subarray(src, src + box.width), r * box.width);
  }
  return normalizeMap({ width: box.width, height: box.height, values });
}

/** Downsampling by averaging the source area under each output cell (no aliasing). */
export function areaResize(m: Map2D, width: number, height: number): Map2D {
  const values = new Float32Array(width * height);
  const sx = m.width / width;
  const sy = m.height / height;
  for (let r = 0; r < height; r++) {
    const y0 = r * sy;
    const y1 = y0 + sy;
    for (let c = 0; c < width; c++) {
      const x0 = c * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let weight = 0;
      for (let y = Math.floor(y0); y < Math.min(m.height, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(m.width, Math.ceil(x1)); x++) {
          const w = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          sum += w * (m.values[y * m.width + x] ?? 0);
          weight += w;
        }
      }
      values[r * width + c] = weight > 0 ? sum / weight : 0;
    }
  }
  return { width, height, values };
}

/** Bilinear resampling with pixel centres aligned (as image resizers do), for display. */
export function bilinearResize(m: Map2D, width: number, height: number): Map2D {
  const values = new Float32Array(width * height);
  const sx = m.width / width;
  const sy = m.height / height;
  for (let r = 0; r < height; r++) {
    const fy = Math.min(m.height - 1, Math.max(0, (r + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(m.height - 1, y0 + 1);
    const ty = fy - y0;
    for (let c = 0; c < width; c++) {
      const fx = Math.min(m.width - 1, Math.max(0, (c + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(m.width - 1, x0 + 1);
      const tx = fx - x0;
      const at = (y: number, x: number): number => m.values[y * m.width + x] ?? 0;
      const top = at(y0, x0) * (1 - tx) + at(y0, x1) * tx;
      const bottom = at(y1, x0) * (1 - tx) + at(y1, x1) * tx;
      values[r * width + c] = top * (1 - ty) + bottom * ty;
    }
  }
  return { width, height, values };
}

/**
 * The map as rows of numbers in [0, 1] for JSON: at most `maxSide` cells on the longer side,
 * the aspect ratio of the picture kept, three decimals.
 */
export function heatmapRows(content: Map2D, maxSide = 32): number[][] {
  const scale = Math.min(1, maxSide / Math.max(content.width, content.height));
  const w = Math.max(1, Math.round(content.width * scale));
  const h = Math.max(1, Math.round(content.height * scale));
  const small = normalizeMap(areaResize(content, w, h));
  const rows: number[][] = [];
  for (let r = 0; r < h; r++) {
    rows.push(Array.from(small.values.subarray(r * w, (r + 1) * w), (v) => Math.round(v * 1000) / 1000));
  }
  return rows;
}
