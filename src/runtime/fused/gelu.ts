import * as tf from '@tensorflow/tfjs';
import { erfApproximation } from '../erf';
import type { KernelTable } from '../kernel-registry';
import { elementwise } from './elementwise';

/**
 * The exact GELU, x·Φ(x), and its gradient as one pass each over float32 values on the wasm
 * backend, where tfjs composes five passes forward and eleven backward. Groups of four run on
 * the SIMD kernels, split between the kernel pool's threads; the rest (and everything when SIMD
 * is off) runs the same formulas in JavaScript.
 */
export const GELU = 'TimGelu';
export const GELU_GRAD = 'TimGeluGrad';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const normalCdf = (x: number): number => 0.5 * (1 + erfApproximation(x * Math.SQRT1_2));
const geluValue = (x: number): number => x * normalCdf(x);
const geluSlope = (x: number): number => normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);

const geluKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  return elementwise(
    backend,
    [x],
    ([xPtr = 0], out, begin, end) => ({ name: 'gelu', params: { x_ptr: xPtr + 4 * begin, out_ptr: out + 4 * begin, count: end - begin } }),
    (sources, i) => geluValue(sources[0]?.[i] ?? 0),
  );
};

const geluGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  return elementwise(
    backend,
    [x, dy],
    ([xPtr = 0, dyPtr = 0], out, begin, end) => ({
      name: 'gelu_grad',
      params: { x_ptr: xPtr + 4 * begin, dy_ptr: dyPtr + 4 * begin, dx_ptr: out + 4 * begin, count: end - begin },
    }),
    (sources, i) => (sources[1]?.[i] ?? 0) * geluSlope(sources[0]?.[i] ?? 0),
  );
};

export const GELU_GRADIENT: tf.GradConfig = {
  kernelName: GELU,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => tf.engine().runKernel<tf.Tensor>(GELU_GRAD, { x, dy: dy as tf.Tensor }, {}) };
  },
};

/** The fused GELU kernels, for the wasm backend. */
export function fusedGeluKernels(): KernelTable {
  return { [GELU]: geluKernel, [GELU_GRAD]: geluGradKernel };
}

/** GELU of a float32 tensor on the fused kernel (where the backend has it: see timKernelAvailable). */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(GELU, { x }, {});
}
