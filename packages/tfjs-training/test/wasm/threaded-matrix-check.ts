// Run in a child process with TIM_WASM_THREADS=2: compares the wasm matrix kernels and the
// elementwise Erf, Exp, GELU and SiLU (value and gradient), split across worker threads, with the cpu
// backend, and prints {"threads", "maxRelativeError", "cpusRestored"} as JSON.
import * as tf from '@tensorflow/tfjs';
import { fusedGelu, GELU } from '../../src/fused/gelu';
import { fusedSilu, SILU } from '../../src/fused/silu';
import { timKernelAvailable } from '../../src/kernel-registry';
import { loadWasmForTraining } from '../support/wasm';
import { parallelism } from '../../src/wasm/kernel-pool';
import { wasmBackendOf } from '../../src/wasm/access';
import { boundKernels } from '../../src/wasm/simd';
import { relativeError } from '../support/relative-error';

// The fused kernels where the backend has them (wasm), the formulas on the cpu reference.
const gelu = (x: tf.Tensor): tf.Tensor => (timKernelAvailable(GELU) ? fusedGelu.apply(x) : tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
const swish = (x: tf.Tensor): tf.Tensor => (timKernelAvailable(SILU) ? fusedSilu.apply(x) : tf.mul(x, tf.sigmoid(x)));

type Case = (x: tf.Tensor4D, w: tf.Tensor4D, m: tf.Tensor2D, v: tf.Tensor1D) => tf.Tensor[];

const conv: Case = (x, w, m, v) => [
  tf.conv2d(x, w, 1, 'same'),
  ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, w]),
  tf.matMul(m, tf.reshape(w, [288, 32])),
  // Long enough to be split between the threads, and not a multiple of four.
  tf.erf(v.mul(3)),
  tf.exp(v.mul(5)),
  gelu(v.mul(6)),
  tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gelu(a), tf.cos(a))))(v.mul(6)),
  swish(v.mul(8)),
  tf.grad((a: tf.Tensor) => tf.sum(tf.mul(swish(a), tf.cos(a))))(v.mul(8)),
];

const VALUES = 100_003;

async function run(backend: string, values: Float32Array[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(values[0] as Float32Array, [2, 16, 16, 32]);
    const w = tf.tensor4d(values[1] as Float32Array, [3, 3, 32, 32]);
    const m = tf.tensor2d(values[2] as Float32Array, [1000, 288]);
    const v = tf.tensor1d(values[3] as Float32Array);
    return conv(x, w, m, v).map((t) => t.dataSync() as Float32Array);
  });
}

async function main(): Promise<void> {
  // The module object itself, which the patch changes (an import namespace is a copy).
  const os = require('os') as object;
  const cpus = Reflect.get(os, 'cpus') as unknown;
  if (!loadWasmForTraining()) throw new Error('wasm backend did not load');
  const values = [2 * 16 * 16 * 32, 3 * 3 * 32 * 32, 1000 * 288, VALUES].map((n, i) => Float32Array.from({ length: n }, (_, j) => Math.sin(j * (i + 1.3))));
  const expected = await run('cpu', values);
  const actual = await run('wasm', values);
  const bound = boundKernels(wasmBackendOf(tf.backend()));
  const maxRelativeError = Math.max(...actual.map((a, i) => relativeError(Array.from(a), Array.from(expected[i] as Float32Array))));
  // os.cpus goes back once the backend exists (it is polled every 20 ms).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const cpusRestored = Reflect.get(os, 'cpus') === cpus;
  console.log(JSON.stringify({ threads: bound ? parallelism(bound) : 0, maxRelativeError, cpusRestored }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
