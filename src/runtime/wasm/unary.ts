import type * as tf from '@tensorflow/tfjs';
import { erfApproximation } from '../erf';
import { f32, runStock, type WasmBackend } from './access';
import { parallelism, runParallel, splitRows } from './kernel-pool';
import { address, boundKernels, type BoundKernels, type KernelCall } from './simd';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap };

/** Below this many values one thread is quicker than waking the others. */
const PARALLEL_MIN_VALUES = 1 << 16;

/**
 * Runs an elementwise kernel over `count` values (a multiple of 4), split between the kernel
 * pool's threads; `call` makes the kernel call for the values [begin, end).
 */
export function runElementwise(bound: BoundKernels, count: number, call: (begin: number, end: number) => KernelCall): void {
  const threads = count < PARALLEL_MIN_VALUES ? 1 : parallelism(bound);
  // splitRows cuts at multiples of 4, so every part stays whole groups of four.
  runParallel(bound, splitRows(count, threads).map(([begin, end]) => call(begin, end)));
}

/**
 * An elementwise float32 kernel on SIMD, its values split between the kernel pool's threads:
 * groups of four on the wasm kernel, the last few values with the same formula in JavaScript;
 * other dtypes go to the stock kernel.
 */
function simdUnary(stockName: string, kernel: 'erf' | 'exp', scalar: (v: number) => number) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const bound = x.dtype === 'float32' ? boundKernels(args.backend) : null;
    if (!bound) return runStock(stockName, args.backend, args.inputs, args.attrs);
    const out = args.backend.makeOutput(x.shape, 'float32');
    const n = x.shape.reduce((a, b) => a * b, 1);
    const body = n - (n % 4);
    const xPtr = address(args.backend, x);
    const outPtr = address(args.backend, out);
    runElementwise(bound, body, (begin, end) => ({ name: kernel, params: { x_ptr: xPtr + 4 * begin, out_ptr: outPtr + 4 * begin, count: end - begin } }));
    if (body < n) {
      const src = f32(args.backend, x);
      const dst = f32(args.backend, out);
      for (let i = body; i < n; i++) dst[i] = scalar(src[i] as number);
    }
    return out;
  };
}

/**
 * Erf and Exp, the two halves of ConvNeXt's exact GELU and its gradient: the stock wasm kernels
 * call the C library one value at a time, and Erf alone took a sixth of a ConvNeXt forward pass.
 */
export const erf = simdUnary('Erf', 'erf', erfApproximation);
export const exp = simdUnary('Exp', 'exp', (v) => Math.exp(v));
