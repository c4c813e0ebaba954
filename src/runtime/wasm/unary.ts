import type * as tf from '@tensorflow/tfjs';
import { f32, runStock, type WasmBackend } from './access';
import { parallelism, runParallel, splitRows } from './kernel-pool';
import { address, boundKernels, type KernelCall } from './simd';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap };

/** Below this many values one thread is quicker than waking the others. */
const PARALLEL_MIN_VALUES = 1 << 16;

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
    const threads = body < PARALLEL_MIN_VALUES ? 1 : parallelism(bound);
    // splitRows cuts at multiples of 4, so every part stays whole groups of four.
    const calls: KernelCall[] = splitRows(body, threads).map(([begin, end]) => ({
      name: kernel,
      params: { x_ptr: xPtr + 4 * begin, out_ptr: outPtr + 4 * begin, count: end - begin },
    }));
    runParallel(bound, calls);
    if (body < n) {
      const src = f32(args.backend, x);
      const dst = f32(args.backend, out);
      for (let i = body; i < n; i++) dst[i] = scalar(src[i] as number);
    }
    return out;
  };
}

/** The rational approximation of kernels.wat's erf (scripts/fit_erf.py). */
const ERF_P = [1.128378868, 2.059627771e-1, 5.13661094e-2, 3.958968446e-3, 1.480445499e-4, -1.976510703e-6, 1.966648355e-8];
const ERF_Q = [1, 5.158590078e-1, 1.1749091e-1, 1.486765128e-2, 1.018785406e-3];

function horner(coefs: number[], t: number): number {
  let acc = 0;
  for (let k = coefs.length - 1; k >= 0; k--) acc = acc * t + (coefs[k] as number);
  return acc;
}

function erfScalar(x: number): number {
  const v = Math.min(4, Math.max(-4, x));
  return (v * horner(ERF_P, v * v)) / horner(ERF_Q, v * v);
}

/**
 * Erf and Exp, the two halves of ConvNeXt's exact GELU and its gradient: the stock wasm kernels
 * call the C library one value at a time, and Erf alone took a sixth of a ConvNeXt forward pass.
 */
export const erf = simdUnary('Erf', 'erf', erfScalar);
export const exp = simdUnary('Exp', 'exp', (v) => Math.exp(v));
