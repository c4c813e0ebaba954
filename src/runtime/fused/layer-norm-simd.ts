import type * as tf from '@tensorflow/tfjs';
import { address, columnMoments, simdKernels, type SimdBackend } from '../wasm/simd';
import { rowsAndChannels } from './buffers';

/** Layer norm forward (y, row means, row rstd) on the SIMD kernels; null where they do not apply. */
export function simdLayerNormForward(backend: SimdBackend, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, epsilon: number): tf.TensorInfo[] | null {
  const k = simdKernels(backend);
  const { c, rows } = rowsAndChannels(x);
  if (!k || c % 4 !== 0 || rows === 0) return null;
  const outs = [backend.makeOutput(x.shape, 'float32'), backend.makeOutput([rows], 'float32'), backend.makeOutput([rows], 'float32')];
  const [y, mean, rstd] = outs.map((t) => address(backend, t)) as [number, number, number];
  k.ln_forward(address(backend, x), address(backend, gamma), address(backend, beta), y, mean, rstd, rows, c, epsilon);
  return outs;
}

/**
 * Layer norm gradients (dx, dγ, dβ) on the SIMD kernels: x̂ is written into dx's buffer, the
 * column sums of dy and dy·x̂ give dβ and dγ, and dx then replaces x̂ row by row.
 */
export function simdLayerNormBackward(backend: SimdBackend, t: Record<'dy' | 'x' | 'gamma' | 'mean' | 'rstd', tf.TensorInfo>): tf.TensorInfo[] | null {
  const k = simdKernels(backend);
  const { c, rows } = rowsAndChannels(t.x);
  if (!k || c % 4 !== 0 || rows === 0) return null;
  const outs = [backend.makeOutput(t.x.shape, 'float32'), backend.makeOutput([c], 'float32'), backend.makeOutput([c], 'float32')] as const;
  const [dx, dgamma, dbeta] = outs;
  const dxp = address(backend, dx);
  const dyp = address(backend, t.dy);
  const rstd = address(backend, t.rstd);
  k.ln_normalise(address(backend, t.x), address(backend, t.mean), rstd, dxp, rows, c);
  const [sumDy, sumDyXhat] = columnMoments(k, backend, dyp, dxp, rows, c);
  backend.typedArrayFromHeap(dbeta).set(sumDy);
  backend.typedArrayFromHeap(dgamma).set(sumDyXhat);
  k.ln_input_grad(dyp, address(backend, t.gamma), dxp, rstd, rows, c);
  return [...outs];
}
