import type * as tf from '@tensorflow/tfjs';
import { BACKENDS, rowsAndChannels, type BufferFactory } from './buffers';
import type { KernelTable } from '../kernel-registry';
import { LN, LN_GRAD } from './layer-norm';
import { layerNormBackward, layerNormForward } from './layer-norm-math';
import { wasmBackendOf } from '../wasm/access';
import { simdLayerNormBackward, simdLayerNormForward } from './layer-norm-simd';

function forwardKernel(buffers: BufferFactory, simd: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as Record<'x' | 'gamma' | 'beta', tf.TensorInfo>;
    const fast = simd ? simdLayerNormForward(wasmBackendOf(backend), x, gamma, beta, (attrs as { epsilon: number }).epsilon) : null;
    if (fast) return fast;
    const io = buffers(backend);
    const { rows } = rowsAndChannels(x);
    const out = io.outputs([x.shape, [rows], [rows]]);
    const [y, mean, rstd] = out.views() as [Float32Array, Float32Array, Float32Array];
    layerNormForward(io.read(x), io.read(gamma), io.read(beta), (attrs as { epsilon: number }).epsilon, y, mean, rstd);
    return out.infos;
  };
}

function gradKernel(buffers: BufferFactory, simd: boolean): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, x, gamma, mean, rstd } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'rstd', tf.TensorInfo>;
    const fast = simd ? simdLayerNormBackward(wasmBackendOf(backend), { dy, x, gamma, mean, rstd }) : null;
    if (fast) return fast;
    const io = buffers(backend);
    const { c } = rowsAndChannels(x);
    const out = io.outputs([x.shape, [c], [c]]);
    const [dx, dgamma, dbeta] = out.views() as [Float32Array, Float32Array, Float32Array];
    layerNormBackward(io.read(dy), io.read(x), io.read(gamma), io.read(mean), io.read(rstd), dx, dgamma, dbeta);
    return out.infos;
  };
}

/** The fused layer-norm kernels for `wasm` or `cpu`. */
export function fusedLayerNormKernels(backendName: keyof typeof BACKENDS): KernelTable {
  const buffers = BACKENDS[backendName];
  const simd = backendName === 'wasm';
  return { [LN]: forwardKernel(buffers, simd), [LN_GRAD]: gradKernel(buffers, simd) };
}
