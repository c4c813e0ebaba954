import type * as tf from '@tensorflow/tfjs';
import { f32, type WasmBackend } from '../wasm/access';
import { address, columnMoments, simdKernels } from '../wasm/simd';
import { rowsAndChannels } from './buffers';

/** Layer norm forward (y, row means, row rstd) on the SIMD kernels; null where they do not apply. */
export function simdLayerNormForward(backend: WasmBackend, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, epsilon: number): tf.TensorInfo[] | null {
  const k = simdKernels(backend);
  const { c, rows } = rowsAndChannels(x);
  if (!k || c % 4 !== 0 || rows === 0) return null;
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([rows], 'float32'), backend.makeOutput([rows], 'float32')];
  const [y, mean, rstd] = outs.map((t) => address(backend, t)) as [number, number, number];
  k.ln_forward({
    x_ptr: address(backend, x),
    gamma_ptr: address(backend, gamma),
    beta_ptr: address(backend, beta),
    y_ptr: y,
    mean_ptr: mean,
    rstd_ptr: rstd,
    rows,
    c,
    epsilon,
  });
  return outs;
}

/**
 * Layer norm gradients (dx, dγ, dβ) on the SIMD kernels: x̂ is written into dx's buffer, the
 * column sums of dy and dy·x̂ give dβ and dγ, and dx then replaces x̂ row by row.
 */
export function simdLayerNormBackward(backend: WasmBackend, t: Record<'dy' | 'x' | 'gamma' | 'mean' | 'rstd', tf.TensorInfo>): tf.TensorInfo[] | null {
  const k = simdKernels(backend);
  const { c, rows } = rowsAndChannels(t.x);
  if (!k || c % 4 !== 0 || rows === 0) return null;
  const outs = [backend.makeOutput(t.x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')] as const;
  const [dx, dgamma, dbeta] = outs;
  const dxp = address(backend, dx);
  const dyp = address(backend, t.dy);
  const rstd = address(backend, t.rstd);
  k.ln_normalise({ x_ptr: address(backend, t.x), mean_ptr: address(backend, t.mean), rstd_ptr: rstd, out_ptr: dxp, rows, c });
  const [sumDy, sumDyXhat] = columnMoments(k, backend, dyp, dxp, rows, c);
  f32(backend, dbeta).set(sumDy);
  f32(backend, dgamma).set(sumDyXhat);
  k.ln_input_grad({ dy_ptr: dyp, gamma_ptr: address(backend, t.gamma), xhat_ptr: dxp, rstd_ptr: rstd, rows, c });
  return [...outs];
}
