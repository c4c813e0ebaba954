import type { AugmentParams, JitterOp } from './augment';

/** `Math` once, as a module constant: a global lookup per pixel is slow inside vm sandboxes (jest). */
const M = Math;

/**
 * The same augmentation as `augmentImages`, computed in JavaScript on a batch's pixels before
 * they become a tensor. On the plain `cpu` backend every tensor op is a generic JavaScript
 * loop (a broadcast multiply or a gather costs 50–200 ms on a 32×64×64 batch), so the batch
 * is augmented here in a single pass instead; other backends use the tensor version.
 * Both give the same numbers (a test compares them).
 */
export function augmentPixels(src: Float32Array, count: number, size: number, p: AugmentParams): Float32Array {
  const per = size * size * 3;
  const out = new Float32Array(src.length);
  for (let i = 0; i < count; i++) {
    const img = src.subarray(i * per, (i + 1) * per);
    const dst = out.subarray(i * per, (i + 1) * per);
    transformImage(img, dst, size, p.flip[i] ?? false, p.angle[i] ?? 0);
    for (const op of p.order[i] ?? []) {
      const f = p[op][i] ?? 1;
      if (f !== 1) JITTER[op](dst, f);
    }
  }
  return out;
}

/** Flip (optional) then a counter-clockwise turn, sampled bilinearly with black outside. */
function transformImage(img: Float32Array, dst: Float32Array, size: number, flip: boolean, degrees: number): void {
  if (!flip && degrees === 0) {
    dst.set(img);
    return;
  }
  const rad = (degrees * M.PI) / 180;
  const cos = M.cos(rad);
  const sin = M.sin(rad);
  const c = (size - 1) / 2;
  const last = size - 1;
  for (let y = 0; y < size; y++) {
    const dy = y - c;
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      let sx = cos * dx - sin * dy + c;
      const sy = sin * dx + cos * dy + c;
      if (flip) sx = last - sx;
      const x0 = M.floor(sx);
      const y0 = M.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * size + x) * 3;
      let r = 0, g = 0, b = 0;
      for (let k = 0; k < 4; k++) {
        const xi = x0 + (k & 1);
        const yi = y0 + (k >> 1);
        if (xi < 0 || xi > last || yi < 0 || yi > last) continue;
        const w = ((k & 1) ? fx : 1 - fx) * ((k >> 1) ? fy : 1 - fy);
        const s = (yi * size + xi) * 3;
        r += w * (img[s] ?? 0);
        g += w * (img[s + 1] ?? 0);
        b += w * (img[s + 2] ?? 0);
      }
      dst[o] = r;
      dst[o + 1] = g;
      dst[o + 2] = b;
    }
  }
}

const clip = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
const gray = (d: Float32Array, o: number): number => 0.2989 * (d[o] ?? 0) + 0.587 * (d[o + 1] ?? 0) + 0.114 * (d[o + 2] ?? 0);

const JITTER: Record<JitterOp, (d: Float32Array, f: number) => void> = {
  brightness(d, f) {
    for (let k = 0; k < d.length; k++) d[k] = clip((d[k] ?? 0) * f);
  },
  contrast(d, f) {
    let sum = 0;
    for (let o = 0; o < d.length; o += 3) sum += gray(d, o);
    const m = (1 - f) * (sum / (d.length / 3));
    for (let k = 0; k < d.length; k++) d[k] = clip(f * (d[k] ?? 0) + m);
  },
  saturation(d, f) {
    for (let o = 0; o < d.length; o += 3) {
      const g = (1 - f) * gray(d, o);
      d[o] = clip(f * (d[o] ?? 0) + g);
      d[o + 1] = clip(f * (d[o + 1] ?? 0) + g);
      d[o + 2] = clip(f * (d[o + 2] ?? 0) + g);
    }
  },
};
