import * as tf from '@tensorflow/tfjs';
import type { KernelTable } from '../kernel-registry';
import type { KernelCall } from '../wasm/simd';
import { elementwise } from '../wasm/unary';

/** An activation f and its derivative, on kernels.wat's exports and in JavaScript. */
export interface ActivationFormulas {
  /** Tim's kernel name; its gradient kernel is this name with 'Grad' after it. */
  kernelName: string;
  /** The SIMD call of f over values: `(f32x4 export)({ x_ptr, out_ptr, count })`. */
  valueCall: (params: { x_ptr: number; out_ptr: number; count: number }) => KernelCall;
  /** The SIMD call of dy·f′(x): `({ x_ptr, dy_ptr, dx_ptr, count })`. */
  gradCall: (params: { x_ptr: number; dy_ptr: number; dx_ptr: number; count: number }) => KernelCall;
  value: (x: number) => number;
  slope: (x: number) => number;
}

/** A fused activation: its value and gradient kernels, the gradient that ties them, and its op. */
export interface FusedActivation {
  kernels(): KernelTable;
  gradient: tf.GradConfig;
  /** f of a float32 tensor on the fused kernel (where the backend has it: see timKernelAvailable). */
  apply(x: tf.Tensor): tf.Tensor;
}

/**
 * An activation as one pass each way over float32 values on the wasm backend; its gradient
 * keeps only x.
 */
export function fusedActivation(f: ActivationFormulas): FusedActivation {
  const gradName = `${f.kernelName}Grad`;
  const valueKernel: tf.KernelFunc = ({ inputs, backend }) =>
    elementwise(
      backend,
      [(inputs as { x: tf.TensorInfo }).x],
      ([x = 0], out, begin, end) => f.valueCall({ x_ptr: x + 4 * begin, out_ptr: out + 4 * begin, count: end - begin }),
      (sources, i) => f.value(sources[0]?.[i] ?? 0),
    );
  const gradKernel: tf.KernelFunc = ({ inputs, backend }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    return elementwise(
      backend,
      [x, dy],
      ([xp = 0, dyp = 0], out, begin, end) => f.gradCall({ x_ptr: xp + 4 * begin, dy_ptr: dyp + 4 * begin, dx_ptr: out + 4 * begin, count: end - begin }),
      (sources, i) => (sources[1]?.[i] ?? 0) * f.slope(sources[0]?.[i] ?? 0),
    );
  };
  return {
    kernels: () => ({ [f.kernelName]: valueKernel, [gradName]: gradKernel }),
    gradient: {
      kernelName: f.kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as [tf.Tensor];
        return { x: () => tf.engine().runKernel<tf.Tensor>(gradName, { x, dy: dy as tf.Tensor }, {}) };
      },
    },
    apply: (x) => tf.engine().runKernel<tf.Tensor>(f.kernelName, { x }, {}),
  };
}
