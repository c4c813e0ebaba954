import * as tf from '@tensorflow/tfjs';
import { f32, wasmBackendOf } from '../wasm/access';
import { address, boundKernels, type KernelCall } from '../wasm/simd';
import { runElementwise } from '../wasm/unary';

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

