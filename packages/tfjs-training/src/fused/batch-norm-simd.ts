import type * as tf from '@tensorflow/tfjs';
import { type WasmBackend } from '../wasm/access';
import { address, simdKernels, withScratch } from '../wasm/simd';
import { rowsAndChannels } from './buffers';
import { backwardCoefficients, forwardCoefficients } from './batch-norm-math';

/**
 * Scratch for per-channel vectors: four float32 arrays, then two float64 ones. Returns their
 * addresses and views, taken after the allocation so a grown heap cannot leave them stale.
 */
function channelScratch<T>(backend: WasmBackend, c: number, fn: (p: { f32: number[]; f64: number[]; view32: (i: number) => Float32Array; view64: (i: number) => Float64Array; view: (ptr: number) => Float32Array }) => T): T {
  return withScratch(backend, 32 * c, (base, memory) => {
    const f32 = [0, 1, 2, 3].map((i) => base + 4 * c * i);
    const f64 = [0, 1].map((i) => base + 16 * c + 8 * c * i);
    return fn({
      f32,
      f64,
      view32: (i) => new Float32Array(memory.buffer, f32[i], c),
      view64: (i) => new Float64Array(memory.buffer, f64[i], c),
      view: (ptr) => new Float32Array(memory.buffer, ptr, c),
    });
  });
}

/** Training-mode forward on the SIMD kernels; null where they do not apply (channels not a multiple of 4). */
export function simdBatchNormForward(backend: WasmBackend, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, epsilon: number): tf.TensorInfo[] | null {
  const k = simdKernels(backend);
  const { c, rows } = rowsAndChannels(x);
  if (!k || c % 4 !== 0 || rows === 0) return null;
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')] as const;
  const [y, mean, variance] = outs;
  channelScratch(backend, c, (s) => {
    const [shift, acc1, acc2] = s.f32 as [number, number, number, number];
    const [s1, s2] = s.f64 as [number, number];
    const xp = address(backend, x);
    // Sums around the first row keep the one-pass variance from cancelling.
    s.view32(0).set(s.view(xp));
    s.view64(0).fill(0);
    s.view64(1).fill(0);
    k.centred_sums({ x_ptr: xp, x_centre_ptr: shift, y_ptr: xp, y_centre_ptr: shift, acc1_ptr: acc1, acc2_ptr: acc2, s1_ptr: s1, s2_ptr: s2, rows, c });
    forwardCoefficients(
      { s1: s.view64(0), s2: s.view64(1), shift: s.view32(0), rows, gamma: s.view(address(backend, gamma)), beta: s.view(address(backend, beta)), epsilon },
      { mean: s.view(address(backend, mean)), variance: s.view(address(backend, variance)), scale: s.view32(1), offset: s.view32(2) },
    );
    k.affine({ x_ptr: xp, scale_ptr: acc1, offset_ptr: acc2, y_ptr: address(backend, y), rows, c });
  });
  return [...outs];
}

/** Training-mode gradients (dx, dγ, dβ) on the SIMD kernels; null where they do not apply. */
export function simdBatchNormBackward(
  backend: WasmBackend,
  t: Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>,
  epsilon: number,
): tf.TensorInfo[] | null {
  const k = simdKernels(backend);
  const { c, rows } = rowsAndChannels(t.x);
  if (!k || c % 4 !== 0 || rows === 0) return null;
  const outs = [backend.makeOutput(t.x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')] as const;
  const [dx, dgamma, dbeta] = outs;
  channelScratch(backend, c, (s) => {
    const [zeros, acc1, acc2, dvec] = s.f32 as [number, number, number, number];
    const [s1, s2] = s.f64 as [number, number];
    s.view32(0).fill(0);
    s.view64(0).fill(0);
    s.view64(1).fill(0);
    const dyp = address(backend, t.dy);
    const xp = address(backend, t.x);
    k.centred_sums({ x_ptr: dyp, x_centre_ptr: zeros, y_ptr: xp, y_centre_ptr: address(backend, t.mean), acc1_ptr: acc1, acc2_ptr: acc2, s1_ptr: s1, s2_ptr: s2, rows, c });
    backwardCoefficients(
      {
        sumDy: s.view64(0),
        sumDyXc: s.view64(1),
        rows,
        gamma: s.view(address(backend, t.gamma)),
        mean: s.view(address(backend, t.mean)),
        variance: s.view(address(backend, t.variance)),
        epsilon,
      },
      { dgamma: s.view(address(backend, dgamma)), dbeta: s.view(address(backend, dbeta)), a: s.view32(1), b: s.view32(2), d: s.view32(3) },
    );
    k.weighted_pair_sum({ x_ptr: dyp, y_ptr: xp, x_weight_ptr: acc1, y_weight_ptr: acc2, offset_ptr: dvec, out_ptr: address(backend, dx), rows, c });
  });
  return [...outs];
}

/** y = x · scale + offset per channel of the last axis; null where the SIMD kernels do not apply. */
export function simdAffine(backend: WasmBackend, x: tf.TensorInfo, scale: Float32Array, offset: Float32Array): tf.TensorInfo | null {
  const k = simdKernels(backend);
  const { c, rows } = rowsAndChannels(x);
  if (!k || c % 4 !== 0 || rows === 0) return null;
  const y = backend.makeOutput(x.shape, 'float32');
  channelScratch(backend, c, (s) => {
    s.view32(0).set(scale);
    s.view32(1).set(offset);
    k.affine({ x_ptr: address(backend, x), scale_ptr: s.f32[0] as number, offset_ptr: s.f32[1] as number, y_ptr: address(backend, y), rows, c });
  });
  return y;
}
