import * as tf from '@tensorflow/tfjs';
import type { KernelCall } from '../wasm/simd';

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

/** A fused activation: its formulas (activation-kernels.ts makes the kernels of them), the gradient that ties its two kernels, and its op. */
export interface FusedActivation {
  formulas: ActivationFormulas;
  gradient: tf.GradConfig;
  /** f of a float32 tensor on the fused kernel (where the backend has it: see timKernelAvailable). */
  apply(x: tf.Tensor): tf.Tensor;
}

/** The gradient that ties an activation's kernel to its gradient kernel (the name with 'Grad' after it), and its op. */
export function activationOp(kernelName: string): Omit<FusedActivation, 'formulas'> {
  const gradName = `${kernelName}Grad`;
  return {
    gradient: {
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as [tf.Tensor];
        return { x: () => tf.engine().runKernel<tf.Tensor>(gradName, { x, dy: dy as tf.Tensor }, {}) };
      },
    },
    apply: (x) => tf.engine().runKernel<tf.Tensor>(kernelName, { x }, {}),
  };
}

/** The op and gradient of an activation with SIMD and JavaScript formulas. */
export function fusedActivation(f: ActivationFormulas): FusedActivation {
  return { formulas: f, ...activationOp(f.kernelName) };
}
