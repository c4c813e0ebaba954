/**
 * Data movements in plain JavaScript on the wasm heap. The stock wasm Transpose, StridedSlice,
 * Reverse, Concat and Tile are generic per-element loops; these specialised copies are several
 * times faster and are what the gradient kernels need around XNNPACK's convolution and matmul.
 */

import { heapTranspose } from './simd';

/** dst[c * rows + r] = src[r * cols + c]: SIMD on the wasm heap where it can, else in cache-sized blocks. */
export function transpose2d(src: Float32Array, dst: Float32Array, rows: number, cols: number): void {
  if (heapTranspose(src, dst, rows, cols)) return;
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(r0 + B, rows);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(c0 + B, cols);
      for (let r = r0; r < r1; r++) {
        const so = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[so + c] as number;
      }
    }
  }
}

export interface Placement {
  /** Output rows and columns. */
  outH: number;
  outW: number;
  /** Where input row/column 0 lands in the output (may be negative: rows cropped). */
  offH: number;
  offW: number;
  /** Input row i lands at offH + i * strideH. */
  strideH: number;
  strideW: number;
}

/**
 * Scatters an NHWC image into a zeroed NHWC output, spreading rows and columns by the strides
 * (zero insertion) and shifting by the offsets (padding, or cropping where negative).
 */
export function scatterSpatial(src: Float32Array, dst: Float32Array, n: number, h: number, w: number, c: number, p: Placement, clear = true): void {
  if (clear) dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      const oi = p.offH + i * p.strideH;
      if (oi < 0 || oi >= p.outH) continue;
      for (let j = 0; j < w; j++) {
        const oj = p.offW + j * p.strideW;
        if (oj < 0 || oj >= p.outW) continue;
        const so = ((b * h + i) * w + j) * c;
        dst.set(src.subarray(so, so + c), ((b * p.outH + oi) * p.outW + oj) * c);
      }
    }
  }
}

/** Flips a [kh, kw, a, b] filter spatially; with `swap`, also swaps its last two axes. */
export function flipFilter(src: Float32Array, dst: Float32Array, kh: number, kw: number, a: number, b: number, swap: boolean): void {
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const so = ((kh - 1 - i) * kw + (kw - 1 - j)) * a * b;
      const dOff = (i * kw + j) * a * b;
      if (!swap) {
        dst.set(src.subarray(so, so + a * b), dOff);
        continue;
      }
      transpose2d(src.subarray(so, so + a * b), dst.subarray(dOff, dOff + a * b), a, b);
    }
  }
}

/**
 * Tile by block copies: the input is copied once and then repeated outward one axis at a time
 * with copyWithin (a memmove), innermost axis first.
 */
export function tileInto(src: Float32Array | Int32Array | Uint8Array, dst: Float32Array | Int32Array | Uint8Array, shape: number[], reps: number[]): void {
  const rank = shape.length;
  dst.set(src, 0);
  // block: size of one item of the current axis after tiling everything inside it.
  let block = 1;
  for (let axis = rank - 1; axis >= 0; axis--) {
    const dim = shape[axis] as number;
    const r = reps[axis] as number;
    const inner = block * dim; // one row of this axis, already tiled inside
    let outer = 1;
    for (let k = 0; k < axis; k++) outer *= shape[k] as number;
    if (r > 1) {
      for (let row = outer - 1; row >= 0; row--) {
        const srcStart = row * inner;
        const dstStart = row * inner * r;
        if (dstStart !== srcStart) dst.copyWithin(dstStart, srcStart, srcStart + inner);
        for (let k = 1; k < r; k++) dst.copyWithin(dstStart + k * inner, dstStart, dstStart + inner);
      }
    }
    block = inner * r;
  }
}
