import * as tf from '@tensorflow/tfjs';
import { ADAM, ADAM_IN_PLACE, type AdamAttrs, type AdamInPlaceAttrs, type AdamInputs } from '../fused/adam';
import type { KernelTable } from '../kernel-registry';
import { webgpuBackendOf } from './access';
import { ownsBuffer, runTimProgram, type TimMultiOutputProgram } from './dispatch';
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


/** Storage bindings one variable takes in the in-place program: value, m, v (written), grad. */
const BINDINGS_PER_VARIABLE = 4;
/** Beyond this many variables a dispatch, the shader's chain of ranges gains little. */
const MAX_VARIABLES_PER_DISPATCH = 8;

/** How many variables one in-place Adam dispatch updates on this device. */
export function variablesPerAdamDispatch(limits: Record<string, number | undefined>): number {
  const bindings = limits.maxStorageBuffersPerShaderStage ?? 8;
  return Math.max(1, Math.min(MAX_VARIABLES_PER_DISPATCH, Math.floor(bindings / BINDINGS_PER_VARIABLE)));
}

/**
 * `k` variables of any sizes in one dispatch over their elements laid end to end: invocation
 * `i` finds its variable by the running ends `e0 < e1 < …` (uniforms, so one pipeline serves
 * every group of `k`) and updates value and moments where they are, with the float32
 * operations of the one-variable kernel above, after multiplying the value by its decay
 * factor `f0`, `f1`, … (exactly the value where the factor is 1).
 */
function adamInPlaceProgram(k: number, total: number): TimMultiOutputProgram {
  const names = Array.from({ length: k }, (_, j) => [`W${j}`, `M${j}`, `V${j}`]).flat();
  const branches = Array.from({ length: k }, (_, j) => {
    const local = j === 0 ? 'i' : `i - u.e${j - 1}`;
    return `${j === 0 ? '' : 'else '}if (i < u.e${j}) {
    let x = ${local};
    let g = G${j}[x];
    let m = M${j}[x] * u.b1 + g * u.c1;
    let v = V${j}[x] * u.b2 + (g * g) * u.c2;
    let w = W${j}[x] * u.f${j};
    M${j}[x] = m;
    V${j}[x] = v;
    W${j}[x] = ((m / u.d1) / (sqrt(v / u.d2) + u.eps)) * u.nlr + w;
  }`;
  }).join(' ');
  const base = elementwiseProgram({
    name: `TimAdamInPlace_${k}`,
    count: total,
    inputs: Array.from({ length: k }, (_, j) => `G${j}`),
    outputShapes: [],
    uniforms: [
      ...['b1', 'b2', 'c1', 'c2', 'd1', 'd2', 'eps', 'nlr'].map((name) => ({ name, type: 'f32' as const })),
      ...Array.from({ length: k }, (_, j) => ({ name: `e${j}`, type: 'i32' as const })),
      ...Array.from({ length: k }, (_, j) => ({ name: `f${j}`, type: 'f32' as const })),
    ],
    body: branches,
  });
  return { ...base, inPlaceNames: names, outputShape: [total] };
}

const adamInPlaceKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as AdamInPlaceAttrs;
  const items: tf.TensorInfo[][] = [];
  for (let i = 0; inputs[`value${i}`] !== undefined; i++) {
    const slots = ['value', 'm', 'v', 'grad'].map((s) => inputs[`${s}${i}`]);
    if (!slots.every((t): t is tf.TensorInfo => t !== undefined)) throw new Error(`${ADAM_IN_PLACE}: variable ${i} lacks a slot`);
    for (const t of slots.slice(0, 3)) {
      if (!ownsBuffer(backend, t)) throw new Error(`${ADAM_IN_PLACE}: variable ${i}'s value or moment shares its data; it cannot be updated in place`);
    }
    items.push(slots);
  }
  const k = variablesPerAdamDispatch(webgpuBackendOf(backend).device.limits);
  const f = Math.fround;
  const scalars = [a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.d1, a.d2, a.epsilon, -a.learningRate].map(f);
  for (let start = 0; start < items.length; start += k) {
    const chunk = items.slice(start, start + k);
    const ends: number[] = [];
    for (const [value] of chunk) ends.push((ends[ends.length - 1] ?? 0) + tf.util.sizeFromShape((value as tf.TensorInfo).shape));
    const total = ends[ends.length - 1] ?? 0;
    const factors = chunk.map((_, j) => f(a.decayFactors?.[start + j] ?? 1));
    const program = adamInPlaceProgram(chunk.length, total);
    runTimProgram(
      backend,
      program,
      chunk.map((s) => s[3] as tf.TensorInfo),
      [total, ...scalars, ...ends, ...factors],
      chunk.flatMap((s) => s.slice(0, 3)),
    );
  }
  return [];
};

export function webgpuAdamKernels(): KernelTable {
  return { [ADAM]: adamKernel, [ADAM_IN_PLACE]: adamInPlaceKernel };
}
