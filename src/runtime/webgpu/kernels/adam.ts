import * as tf from '@tensorflow/tfjs';
import { ADAM, type AdamAttrs, type AdamInputs } from '../../fused/adam';
import type { KernelTable } from '../../kernel-registry';
import { runTimProgram } from './dispatch';
import { elementwiseProgram } from './elementwise';

/**
 * Adam on WebGPU: one dispatch per variable writes its new value and both moments, with tfjs's
 * float32 operations in tfjs's order (as the cpu and wasm kernels); the bias corrections are
 * computed on the GPU from β1ᵗ and β2ᵗ.
 */
const adamKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { value, m, v, grad, accBeta1, accBeta2 } = inputs as AdamInputs;
  const a = attrs as AdamAttrs;
  const n = tf.util.sizeFromShape(value.shape);
  const program = elementwiseProgram({
    name: 'TimAdam',
    count: n,
    inputs: ['W', 'M', 'V', 'G', 'A1', 'A2'],
    outputShapes: [value.shape, value.shape, value.shape],
    uniforms: ['b1', 'b2', 'c1', 'c2', 'eps', 'nlr'].map((name) => ({ name, type: 'f32' as const })),
    body: `
  let g = G[i];
  let m = M[i] * u.b1 + g * u.c1;
  let v = V[i] * u.b2 + (g * g) * u.c2;
  let d1 = 1.0 - A1[0];
  let d2 = 1.0 - A2[0];
  out1[i] = m;
  out2[i] = v;
  out0[i] = ((m / d1) / (sqrt(v / d2) + u.eps)) * u.nlr + W[i];`,
  });
  const f = Math.fround;
  return runTimProgram(backend, program, [value, m, v, grad, accBeta1, accBeta2], [n, f(a.beta1), f(a.beta2), f(1 - a.beta1), f(1 - a.beta2), f(a.epsilon), f(-a.learningRate)]);
};

export function webgpuAdamKernels(): KernelTable {
  return { [ADAM]: adamKernel };
}
