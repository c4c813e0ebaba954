import type * as tf from '@tensorflow/tfjs';
import type { FusedActivation } from './activation';
import type { KernelTable } from '../kernel-registry';
import { elementwise } from '../wasm/unary';

/**
 * An activation as one pass each way over float32 values on the wasm backend; its gradient
 * keeps only x.
 */
export function activationKernels({ formulas: f }: FusedActivation): KernelTable {
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
  return { [f.kernelName]: valueKernel, [gradName]: gradKernel };
}
