import type * as tf from '@tensorflow/tfjs';
import { activationOp } from './activation';

/**
 * The logistic sigmoid as Tim's kernel, for squeeze-and-excitation gates: tfjs's gradient of
 * its Sigmoid is three elementwise ops (1 − y, y·(1 − y), dy·…), a dispatch each on a GPU; this
 * one's is one kernel over x. Registered where a backend has both kernels (webgpu).
 */
export const SIGMOID = 'TimSigmoid';

const sigmoidOp = activationOp(SIGMOID);

export const SIGMOID_GRADIENT: tf.GradConfig = sigmoidOp.gradient;

/** σ(x) on Tim's kernel (the active backend must have it: see timKernelAvailable). */
export function timSigmoid(x: tf.Tensor): tf.Tensor {
  return sigmoidOp.apply(x);
}
