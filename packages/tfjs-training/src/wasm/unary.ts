import * as tf from '@tensorflow/tfjs';
import { erfApproximation } from '../erf';
import { f32, runStock, wasmBackendOf, type WasmBackend } from './access';
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
 * An elementwise float32 kernel on the wasm backend, its output shaped as its first input:
 * `simd` makes the SIMD call for the values [begin, end) (groups of four, split between the
 * kernel pool's threads), `scalar` computes value i in JavaScript for the rest, and for all of
 * them when SIMD is off.
 */
export function elementwise(
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

/** A unary float32 kernel on `elementwise`; other dtypes, and everything without SIMD, go to the stock kernel. */
function simdUnary(stockName: string, kernel: 'erf' | 'exp', scalar: (v: number) => number) {
  return (args: KernelArgs): tf.TensorInfo => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== 'float32' || !boundKernels(args.backend)) return runStock(stockName, args.backend, args.inputs, args.attrs);
    return elementwise(
      args.backend,
      [x],
      ([xPtr = 0], out, begin, end) => ({ name: kernel, params: { x_ptr: xPtr + 4 * begin, out_ptr: out + 4 * begin, count: end - begin } }),
      (sources, i) => scalar(sources[0]?.[i] ?? 0),
    );
  };
}

/**
 * Erf and Exp, the two halves of ConvNeXt's exact GELU and its gradient: the stock wasm kernels
 * call the C library one value at a time, and Erf alone took a sixth of a ConvNeXt forward pass.
 */
export const erf = simdUnary('Erf', 'erf', erfApproximation);
export const exp = simdUnary('Exp', 'exp', (v) => Math.exp(v));
