import * as tf from '@tensorflow/tfjs';
import type { KernelTable } from '../kernel-registry';
import { elementwise } from './elementwise';

/**
 * SiLU (swish), x·σ(x), and its gradient as one pass each over float32 values on the wasm
 * backend, where tfjs composes three passes forward and about seven backward, keeping the
 * sigmoid and products of EfficientNet's widest tensors for the backward pass; this keeps x only.
 */
export const SILU = 'TimSilu';
export const SILU_GRAD = 'TimSiluGrad';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const siluKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  return elementwise(
    backend,
    [x],
    ([xPtr = 0], out, begin, end) => ({ name: 'silu', params: { x_ptr: xPtr + 4 * begin, out_ptr: out + 4 * begin, count: end - begin } }),
    (sources, i) => {
      const v = sources[0]?.[i] ?? 0;
      return v * sigmoid(v);
    },
  );
};

const siluGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  return elementwise(
    backend,
    [x, dy],
    ([xPtr = 0, dyPtr = 0], out, begin, end) => ({
      name: 'silu_grad',
      params: { x_ptr: xPtr + 4 * begin, dy_ptr: dyPtr + 4 * begin, dx_ptr: out + 4 * begin, count: end - begin },
    }),
    (sources, i) => {
      const v = sources[0]?.[i] ?? 0;
      const s = sigmoid(v);
      return (sources[1]?.[i] ?? 0) * s * (1 + v * (1 - s));
    },
  );
};

export const SILU_GRADIENT: tf.GradConfig = {
  kernelName: SILU,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => tf.engine().runKernel<tf.Tensor>(SILU_GRAD, { x, dy: dy as tf.Tensor }, {}) };
  },
};

/** The fused SiLU kernels, for the wasm backend. */
export function fusedSiluKernels(): KernelTable {
  return { [SILU]: siluKernel, [SILU_GRAD]: siluGradKernel };
}

/** SiLU of a float32 tensor on the fused kernel (where the backend has it: see timKernelAvailable). */
export function fusedSilu(x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(SILU, { x }, {});
}
