import * as tf from '@tensorflow/tfjs';

/**
 * Layer normalisation over the last axis as one kernel with one gradient kernel (layer-norm-kernels.ts
 * for wasm and cpu, webgpu/layer-norm.ts). Composed from tfjs ops it costs about fifteen passes
 * over each activation per training step, forward and backward; these need four, each over one
 * row at a time. This file is the op and its gradient.
 */
export const LN = 'TimLayerNorm';
export const LN_GRAD = 'TimLayerNormGrad';

export const LAYER_NORM_GRADIENT: tf.GradConfig = {
  kernelName: LN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved) => {
    // The per-row statistics are internal outputs, kept only for this gradient.
    const [dy] = dys as tf.Tensor[];
    const [x, gamma, mean, rstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [dx, dgamma, dbeta] = tf.engine().runKernel<tf.Tensor[]>(LN_GRAD, { dy: dy as tf.Tensor, x, gamma, mean, rstd }, {});
    return { x: () => dx as tf.Tensor, gamma: () => dgamma as tf.Tensor, beta: () => dbeta as tf.Tensor };
  },
};

/** Layer norm of the last axis of x. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const [y] = tf.engine().runKernel<tf.Tensor[]>(LN, { x, gamma, beta }, { epsilon });
  return y as tf.Tensor;
}
