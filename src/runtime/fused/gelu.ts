import * as tf from '@tensorflow/tfjs';
import { erfApproximation } from '../erf';
import type { KernelTable } from '../kernel-registry';
import { f32, wasmBackendOf } from '../wasm/access';
import { address, boundKernels, type KernelCall } from '../wasm/simd';
import { runElementwise } from '../wasm/unary';

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

/**
 * Fills `out` from the inputs: `simd` on the first values in groups of four (a SIMD call per
 * thread's share), `scalar` on the rest.
 */
function elementwise(
  backendObject: unknown,
  inputs: tf.TensorInfo[],
  simd: (ptrs: number[], out: number, begin: number, end: number) => KernelCall,
  scalar: (sources: Float32Array[], i: number) => number,
): tf.TensorInfo {
  const backend = wasmBackendOf(backendObject);
  const first = inputs[0] as tf.TensorInfo;
  const out = backend.makeOutput(first.shape, 'float32');
  const n = tf.util.sizeFromShape(first.shape);
  const bound = boundKernels(backend);
  const body = bound ? n - (n % 4) : 0;
  if (bound && body > 0) {
    const ptrs = inputs.map((t) => address(backend, t));
    const outPtr = address(backend, out);
    runElementwise(bound, body, (begin, end) => simd(ptrs, outPtr, begin, end));
  }
  if (body < n) {
    // Views after every allocation: the heap may have moved.
    const sources = inputs.map((t) => f32(backend, t));
    const dst = f32(backend, out);
    for (let i = body; i < n; i++) dst[i] = scalar(sources, i);
  }
  return out;
}

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
