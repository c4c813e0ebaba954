import * as tf from '@tensorflow/tfjs';

/**
 * The logistic sigmoid as Tim's kernel, for squeeze-and-excitation gates: tfjs's gradient of
 * its Sigmoid is three elementwise ops (1 − y, y·(1 − y), dy·…), a dispatch each on a GPU; this
 * one's is one kernel over x. Registered where a backend has both kernels (webgpu).
 */
export const SIGMOID = 'TimSigmoid';
export const SIGMOID_GRAD = 'TimSigmoidGrad';

export const SIGMOID_GRADIENT: tf.GradConfig = {
  kernelName: SIGMOID,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => tf.engine().runKernel<tf.Tensor>(SIGMOID_GRAD, { x, dy: dy as tf.Tensor }, {}) };
  },
};

/** σ(x) on Tim's kernel (the active backend must have it: see timKernelAvailable). */
export function timSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel<tf.Tensor>(SIGMOID, { x }, {});
}
