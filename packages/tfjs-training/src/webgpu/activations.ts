import * as tf from '@tensorflow/tfjs';
import { ERF_P, ERF_Q } from '../erf';
import { GELU } from '../fused/gelu';
import { SIGMOID } from '../fused/sigmoid';
import { SILU } from '../fused/silu';
import type { KernelTable } from '../kernel-registry';
import { runTimProgram } from './dispatch';
import { elementwiseProgram } from './elementwise';

/** A polynomial in t as nested WGSL multiply-adds (Horner), coefficients lowest first. */
function hornerWgsl(coefs: readonly number[], t: string): string {
  return coefs.reduceRight((acc, c, k) => (k === coefs.length - 1 ? c.toExponential(9) : `(${acc}) * ${t} + ${c.toExponential(9)}`), '');
}

/**
 * WGSL functions of each activation and its derivative. erf is the rational approximation the
 * wasm kernels use (WGSL has none), so GELU is exact to float rounding as there.
 */
const FUNCTIONS = `
fn timErf(x : f32) -> f32 {
  let v = clamp(x, -4.0, 4.0);
  let t = v * v;
  return v * (${hornerWgsl(ERF_P, 't')}) / (${hornerWgsl(ERF_Q, 't')});
}
fn geluValue(x : f32) -> f32 { return x * 0.5 * (1.0 + timErf(x * ${Math.SQRT1_2.toFixed(9)})); }
fn geluSlope(x : f32) -> f32 {
  return 0.5 * (1.0 + timErf(x * ${Math.SQRT1_2.toFixed(9)})) + x * ${(1 / Math.sqrt(2 * Math.PI)).toFixed(9)} * exp(-0.5 * x * x);
}
fn sigmoid(x : f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn sigmoidValue(x : f32) -> f32 { return sigmoid(x); }
fn sigmoidSlope(x : f32) -> f32 { let s = sigmoid(x); return s * (1.0 - s); }
fn siluValue(x : f32) -> f32 { return x * sigmoid(x); }
fn siluSlope(x : f32) -> f32 { let s = sigmoid(x); return s * (1.0 + x * (1.0 - s)); }
`;

/** The value and gradient kernels of one activation: one dispatch each, one element per invocation. */
function activationKernels(kernelName: string, fn: 'gelu' | 'silu' | 'sigmoid'): KernelTable {
  const value: tf.KernelFunc = ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const n = tf.util.sizeFromShape(x.shape);
    const program = elementwiseProgram({ name: kernelName, count: n, inputs: ['X'], outputShapes: [x.shape], functions: FUNCTIONS, body: `out0[i] = ${fn}Value(X[i]);` });
    return only(runTimProgram(backend, program, [x], [n]));
  };
  const grad: tf.KernelFunc = ({ inputs, backend }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const n = tf.util.sizeFromShape(x.shape);
    const program = elementwiseProgram({
      name: `${kernelName}Grad`,
      count: n,
      inputs: ['X', 'DY'],
      outputShapes: [x.shape],
      functions: FUNCTIONS,
      body: `out0[i] = DY[i] * ${fn}Slope(X[i]);`,
    });
    return only(runTimProgram(backend, program, [x, dy], [n]));
  };
  return { [kernelName]: value, [`${kernelName}Grad`]: grad };
}

const only = (outputs: tf.TensorInfo[]): tf.TensorInfo => outputs[0] as tf.TensorInfo;

/** Tim's GELU, SiLU and sigmoid kernels (and their gradient kernels) for webgpu. */
export function webgpuActivationKernels(): KernelTable {
  return { ...activationKernels(GELU, 'gelu'), ...activationKernels(SILU, 'silu'), ...activationKernels(SIGMOID, 'sigmoid') };
}
