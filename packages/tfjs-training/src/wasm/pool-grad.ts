import * as tf from '@tensorflow/tfjs';
import { dims4, f32, runStock, zerosOutput, type WasmBackend } from './access';
import { address, simdKernels } from './simd';

// A type, not an interface, so that tfjs's attribute map reads as it without a double cast.
type PoolGradAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** Where the largest value of every channel lies in the window [r0, r1) × [s0, s1) of image b (its pixel's offset; -1 for none). */
function windowArgmax(x: Float32Array, b: number, info: tf.backend_util.Conv2DInfo, rows: [number, number], cols: [number, number], best: Float32Array, where: Int32Array): void {
  const { inHeight: h, inWidth: w, inChannels: c } = info;
  best.fill(Number.NEGATIVE_INFINITY);
  where.fill(-1);
  for (let r = rows[0]; r < rows[1]; r++) {
    for (let s = cols[0]; s < cols[1]; s++) {
      const o = ((b * h + r) * w + s) * c;
      for (let k = 0; k < c; k++) {
        const v = x[o + k] as number;
        if (v <= (best[k] as number)) continue;
        best[k] = v;
        where[k] = o;
      }
    }
  }
}

/** Adds the output gradient at g[go…] to each channel's largest input of its window. */
function addToArgmax(dx: Float32Array, g: Float32Array, go: number, where: Int32Array): void {
  for (let k = 0; k < where.length; k++) {
    const o = where[k] as number;
    if (o >= 0) dx[o + k] = (dx[o + k] as number) + (g[go + k] as number);
  }
}

/** dx of max pooling in JavaScript, one window at a time with every channel (x, dy and dx NHWC). */
function maxPoolGradScalar(x: Float32Array, g: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < ho; p++) {
      const rows: [number, number] = [Math.max(0, p * sh - top), Math.min(h, p * sh - top + fh)];
      for (let q = 0; q < wo; q++) {
        windowArgmax(x, b, info, rows, [Math.max(0, q * sw - left), Math.min(w, q * sw - left + fw)], best, where);
        addToArgmax(dx, g, ((b * ho + p) * wo + q) * c, where);
      }
    }
  }
}

/**
 * dx of max pooling: each output's gradient goes to the first largest input of its window (in
 * row-major order, as tfjs's cpu kernel does). Channels are innermost, so every window is
 * scanned once for all channels (four at a time on the SIMD kernel); the stock wasm kernel
 * walks it per element.
 */
export function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const backend = args.backend;
  const attrs = args.attrs as PoolGradAttrs;
  if (input.dtype !== 'float32' || input.shape.length !== 4) return runStock('MaxPoolGrad', backend, args.inputs, args.attrs);
  const info = tf.backend_util.computePool2DInfo(dims4(input.shape), attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [n, h, w, c] = dims4(input.shape);
  const { outHeight: ho, outWidth: wo, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = zerosOutput(backend, input.shape);
  const simd = c % 4 === 0 ? simdKernels(backend) : null;
  if (simd) {
    simd.max_pool_grad({
      x_ptr: address(backend, input),
      dy_ptr: address(backend, dy),
      dx_ptr: address(backend, out),
      batch: n,
      h,
      w,
      c,
      ho,
      wo,
      fh,
      fw,
      sh,
      sw,
      top,
      left,
    });
    return out;
  }
  maxPoolGradScalar(f32(backend, input), f32(backend, dy), f32(backend, out), info);
  return out;
}
