import { roundHalfEven } from './geometry';

/** A crop of a square image: top row, left column, height and width, in pixels. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** `augment.random_resized_crop`: the range of the crop's area (fraction of the image) and of its aspect ratio (w/h). */
export interface ResizedCropSettings {
  scale: readonly [number, number];
  ratio: readonly [number, number];
}

/**
 * torchvision's `RandomResizedCrop.get_params` on a `height`×`width` image: up to 10 tries of an
 * area uniform in `scale` and an aspect ratio log-uniform in `ratio`, sides rounded half to
 * even (Python's `round`), kept when the crop fits, at a uniform position; after 10 misses the
 * centre crop of the whole image clamped to the ratio range. Always four draws per try.
 */
export function drawCropBox(rng: () => number, height: number, width: number, s: ResizedCropSettings): CropBox {
  const area = height * width;
  const [logLo, logHi] = [Math.log(s.ratio[0]), Math.log(s.ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (s.scale[0] + (s.scale[1] - s.scale[0]) * rng());
    const aspect = Math.exp(logLo + (logHi - logLo) * rng());
    const w = roundHalfEven(Math.sqrt(target * aspect));
    const h = roundHalfEven(Math.sqrt(target / aspect));
    const top = rng();
    const left = rng();
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: Math.floor(top * (height - h + 1)), left: Math.floor(left * (width - w + 1)), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(...s.ratio)) h = roundHalfEven(w / Math.min(...s.ratio));
  else if (inRatio > Math.max(...s.ratio)) w = roundHalfEven(h * Math.max(...s.ratio));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/**
 * One axis of a bilinear resize with PyTorch's half-pixel centres (`align_corners=False`): for
 * each output index, the lower source index, the upper one (clamped to the edge) and the upper
 * one's weight. Source coordinates left of the first pixel centre are clamped to it.
 */
function bilinearAxis(outSize: number, inSize: number, offset: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const f32 = Math.fround;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  // float32 throughout, as PyTorch's CPU kernel computes the source index and weights.
  const scale = f32(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, f32(f32(scale * f32(o + 0.5)) - 0.5));
    const i0 = Math.min(Math.floor(src), inSize - 1);
    lo[o] = offset + i0;
    hi[o] = offset + Math.min(i0 + 1, inSize - 1);
    frac[o] = f32(src - i0);
  }
  return { lo, hi, frac };
}

/**
 * `box` of the `size`×`size` RGB image `src` resized to `size`×`size`, bilinear, rounded half to
 * even to 8 bits: torchvision's `resized_crop(..., BILINEAR)` on a uint8 tensor, in float32 with
 * fused multiply-adds as PyTorch's CPU kernel, so that it gives the same bytes as
 * `antialias=True` (torchvision's default from 0.17). The crop is never larger than the image,
 * so this only ever enlarges, where `antialias=False` differs only by rounding (a grey level on
 * under 1% of the bytes; the golden test checks both).
 */
export function resizedCrop(src: Uint8Array, dst: Uint8Array, size: number, box: CropBox): void {
  const f32 = Math.fround;
  const xs = bilinearAxis(size, box.width, box.left);
  const ys = bilinearAxis(size, box.height, box.top);
  for (let y = 0; y < size; y++) {
    const r0 = (ys.lo[y] ?? 0) * size;
    const r1 = (ys.hi[y] ?? 0) * size;
    const fy = ys.frac[y] ?? 0;
    const gy = f32(1 - fy);
    for (let x = 0; x < size; x++) {
      const c0 = xs.lo[x] ?? 0;
      const c1 = xs.hi[x] ?? 0;
      const fx = xs.frac[x] ?? 0;
      const gx = f32(1 - fx);
      const a = (r0 + c0) * 3;
      const b = (r0 + c1) * 3;
      const c = (r1 + c0) * 3;
      const d = (r1 + c1) * 3;
      const o = (y * size + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = f32(fx * (src[b + k] ?? 0) + f32(gx * (src[a + k] ?? 0)));
        const bottom = f32(fx * (src[d + k] ?? 0) + f32(gx * (src[c + k] ?? 0)));
        dst[o + k] = roundHalfEven(f32(fy * bottom + f32(gy * top)));
      }
    }
  }
}
