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
  const x = f32(backend, input);
  const g = f32(backend, dy);
  const dx = f32(backend, out);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let p = 0; p < ho; p++) {
      const r0 = Math.max(0, p * sh - top);
      const r1 = Math.min(h, p * sh - top + fh);
      for (let q = 0; q < wo; q++) {
        const s0 = Math.max(0, q * sw - left);
        const s1 = Math.min(w, q * sw - left + fw);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let r = r0; r < r1; r++) {
          for (let s = s0; s < s1; s++) {
            const o = ((b * h + r) * w + s) * c;
            for (let k = 0; k < c; k++) {
              const v = x[o + k] as number;
              if (v > (best[k] as number)) {
                best[k] = v;
                where[k] = o;
              }
            }
          }
        }
        const go = ((b * ho + p) * wo + q) * c;
        for (let k = 0; k < c; k++) {
          const o = where[k] as number;
          if (o >= 0) dx[o + k] = (dx[o + k] as number) + (g[go + k] as number);
        }
      }
    }
  }
  return out;
}
