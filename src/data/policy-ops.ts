import { roundHalfEven } from './geometry';

/**
 * torchvision's TrivialAugment/RandAugment operations on one 8-bit RGB image, row-major HWC,
 * `size`×`size`, computed as `torchvision.transforms.functional` computes them on a uint8
 * tensor: blends in float32 truncated to 8 bits, affine maps sampled at the nearest pixel
 * (torchvision's default for both policies) with black (`fill` 0) outside the picture.
 * Each writes `dst` from `src` (which it does not change); they may not be the same array.
 */
export const POLICY_OPS = [
  'Identity', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Brightness',
  'Color', 'Contrast', 'Sharpness', 'Posterize', 'Solarize', 'AutoContrast', 'Equalize',
] as const;
export type PolicyOp = (typeof POLICY_OPS)[number];

const f32 = Math.fround;
/** float32 to uint8 as torch's `.to(torch.uint8)` after a clamp: truncation. */
const toByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v));

/**
 * Samples `src` at the nearest pixel through the inverse affine map `m` = [a, b, c, d, e, f]
 * taking output coordinates to input ones, both measured from the image centre with pixel
 * centres at half-integers, as torchvision's `_gen_affine_grid` and `grid_sample(nearest,
 * align_corners=False)` do.
 */
function sampleAffine(src: Uint8Array, dst: Uint8Array, size: number, m: readonly number[]): void {
  // torchvision divides the matrix by half the side (a grid in [-1, 1]) and grid_sample scales
  // it back, all in float32: followed step by step so that ties round as they do there.
  const half = f32(size / 2);
  const [a = 1, b = 0, c = 0, d = 0, e = 1, f = 0] = m.map((v) => f32(f32(v) / half));
  const unnormalise = (g: number): number => roundHalfEven(f32(f32(f32(f32(g + 1) * size) - 1) / 2));
  for (let y = 0; y < size; y++) {
    const Y = y - size / 2 + 0.5;
    for (let x = 0; x < size; x++) {
      const X = x - size / 2 + 0.5;
      // The grid is a float32 matrix product, accumulated with fused multiply-adds.
      const sx = unnormalise(f32(f32(b * Y + f32(a * X)) + c));
      const sy = unnormalise(f32(f32(e * Y + f32(d * X)) + f));
      const o = (y * size + x) * 3;
      if (sx < 0 || sx >= size || sy < 0 || sy >= size) {
        dst[o] = dst[o + 1] = dst[o + 2] = 0;
      } else {
        const s = (sy * size + sx) * 3;
        dst[o] = src[s] ?? 0;
        dst[o + 1] = src[s + 1] ?? 0;
        dst[o + 2] = src[s + 2] ?? 0;
      }
    }
  }
}

/**
 * torchvision's `_get_inverse_affine_matrix` (rotation and shear in degrees, no scaling), centre
 * and translation in pixels from the image centre.
 */
function inverseAffine(center: [number, number], angle: number, translate: [number, number], shear: [number, number]): number[] {
  const rot = (angle * Math.PI) / 180;
  const sx = (shear[0] * Math.PI) / 180;
  const sy = (shear[1] * Math.PI) / 180;
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0];
  m[2] = (m[0] ?? 0) * (-cx - tx) + (m[1] ?? 0) * (-cy - ty) + cx;
  m[5] = (m[3] ?? 0) * (-cx - tx) + (m[4] ?? 0) * (-cy - ty) + cy;
  return m;
}

/** torchvision's `rgb_to_grayscale` on uint8: the weighted sum truncated to 8 bits. */
function grayOf(src: Uint8Array, o: number): number {
  return toByte(f32(f32(f32(0.2989 * (src[o] ?? 0)) + f32(0.587 * (src[o + 1] ?? 0))) + f32(0.114 * (src[o + 2] ?? 0))));
}

/** `ratio * img + (1 - ratio) * other` in float32, clamped and truncated: torchvision's `_blend`. */
function blendInto(src: Uint8Array, dst: Uint8Array, ratio: number, other: (k: number) => number): void {
  const r = f32(ratio);
  const q = f32(1 - ratio);
  for (let k = 0; k < src.length; k++) dst[k] = toByte(f32(f32(r * (src[k] ?? 0)) + f32(q * other(k))));
}

/** Channel k of pixel (x, y) smoothed by the 3×3 kernel (weight `centre` in the middle, `w` around), summed in float32 row by row. */
function smoothedAt(src: Uint8Array, size: number, x: number, y: number, k: number, w: number, centre: number): number {
  let sum = 0;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      const v = src[((y + dy) * size + x + dx) * 3 + k] ?? 0;
      sum = f32(sum + f32((dx === 0 && dy === 0 ? centre : w) * v));
    }
  }
  return sum;
}

/** The 3×3 smoothing torchvision's `adjust_sharpness` blends with: kernel 1s around a 5, /13, rounded; the border kept. */
function blurredDegenerate(src: Uint8Array, size: number): Uint8Array {
  const out = src.slice();
  const w = f32(1 / 13);
  const centre = f32(5 / 13);
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      for (let k = 0; k < 3; k++) out[(y * size + x) * 3 + k] = Math.min(255, Math.max(0, roundHalfEven(smoothedAt(src, size, x, y, k, w, centre))));
    }
  }
  return out;
}

/** torchvision's `equalize` on one channel: its histogram's cumulative lookup table with the last non-empty bin left out of the step. */
function equalizeChannel(src: Uint8Array, dst: Uint8Array, channel: number): void {
  const hist = new Array<number>(256).fill(0);
  for (let k = channel; k < src.length; k += 3) hist[src[k] ?? 0]!++;
  const nonzero = hist.filter((h) => h !== 0);
  const step = Math.floor(nonzero.slice(0, -1).reduce((s, h) => s + h, 0) / 255);
  if (step === 0) {
    for (let k = channel; k < src.length; k += 3) dst[k] = src[k] ?? 0;
    return;
  }
  const lut = new Uint8Array(256);
  let cum = 0;
  for (let v = 0; v < 256; v++) {
    // The table is shifted by one bin: a value maps through the count of the values below it.
    lut[v] = Math.min(255, Math.floor((cum + Math.floor(step / 2)) / step));
    cum += hist[v] ?? 0;
  }
  for (let k = channel; k < src.length; k += 3) dst[k] = lut[src[k] ?? 0] ?? 0;
}

/** Applies `op` at `magnitude` (already signed, in torchvision's units for that op). */
export function applyPolicyOp(op: PolicyOp, magnitude: number, src: Uint8Array, dst: Uint8Array, size: number): void {
  const half = size / 2;
  switch (op) {
    case 'Identity':
      dst.set(src);
      return;
    case 'ShearX':
      return sampleAffine(src, dst, size, inverseAffine([-half, -half], 0, [0, 0], [(Math.atan(magnitude) * 180) / Math.PI, 0]));
    case 'ShearY':
      return sampleAffine(src, dst, size, inverseAffine([-half, -half], 0, [0, 0], [0, (Math.atan(magnitude) * 180) / Math.PI]));
    case 'TranslateX':
      return sampleAffine(src, dst, size, inverseAffine([0, 0], 0, [Math.trunc(magnitude), 0], [0, 0]));
    case 'TranslateY':
      return sampleAffine(src, dst, size, inverseAffine([0, 0], 0, [0, Math.trunc(magnitude)], [0, 0]));
    case 'Rotate':
      // torchvision's rotate passes -angle to the matrix: positive turns counter-clockwise on screen.
      return sampleAffine(src, dst, size, inverseAffine([0, 0], -magnitude, [0, 0], [0, 0]));
    case 'Brightness':
      return blendInto(src, dst, 1 + magnitude, () => 0);
    case 'Color': {
      const gray = new Uint8Array(src.length / 3);
      for (let p = 0; p < gray.length; p++) gray[p] = grayOf(src, p * 3);
      return blendInto(src, dst, 1 + magnitude, (k) => gray[Math.floor(k / 3)] ?? 0);
    }
    case 'Contrast': {
      let sum = 0;
      for (let o = 0; o < src.length; o += 3) sum += grayOf(src, o);
      const mean = f32(sum / (src.length / 3));
      return blendInto(src, dst, 1 + magnitude, () => mean);
    }
    case 'Sharpness': {
      if (size <= 2) return dst.set(src);
      const blurred = blurredDegenerate(src, size);
      return blendInto(src, dst, 1 + magnitude, (k) => blurred[k] ?? 0);
    }
    case 'Posterize': {
      const mask = 0xff & -(2 ** (8 - Math.trunc(magnitude)));
      for (let k = 0; k < src.length; k++) dst[k] = (src[k] ?? 0) & mask;
      return;
    }
    case 'Solarize':
      for (let k = 0; k < src.length; k++) {
        const v = src[k] ?? 0;
        dst[k] = v >= magnitude ? 255 - v : v;
      }
      return;
    case 'AutoContrast':
      for (let ch = 0; ch < 3; ch++) {
        let lo = 255;
        let hi = 0;
        for (let k = ch; k < src.length; k += 3) {
          const v = src[k] ?? 0;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        const min = hi > lo ? lo : 0;
        const scale = hi > lo ? f32(255 / (hi - lo)) : 1;
        for (let k = ch; k < src.length; k += 3) dst[k] = toByte(f32(((src[k] ?? 0) - min) * scale));
      }
      return;
    case 'Equalize':
      for (let ch = 0; ch < 3; ch++) equalizeChannel(src, dst, ch);
      return;
  }
}
