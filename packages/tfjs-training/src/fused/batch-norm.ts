import * as tf from '@tensorflow/tfjs';

/**
 * Training-mode batch normalisation as one kernel with one gradient kernel (batch-norm-kernels.ts
 * for wasm and cpu, webgpu/batch-norm.ts). tfjs composes it from moments, batchNorm and their
 * gradients: about twenty passes over each activation per step where these need five. This file
 * is the op and its gradient, which run on whatever backend has the kernels.
 */
export const BN_TRAINING = 'TimBatchNormTraining';
export const BN_TRAINING_GRAD = 'TimBatchNormTrainingGrad';

/**
 * The training kernel's attributes. It also updates the moving mean and variance from the
 * batch's statistics (unbiased variance, as PyTorch's running_var), so that a GPU needs no
 * dispatch of its own for them.
 */
// A type, not an interface, so that it is a tfjs attribute map as it stands.
export type TrainingAttrs = {
  epsilon: number;
  /** tfjs's momentum (PyTorch's is 1 − this). */
  momentum: number;
  /** Values per channel in the batch, for the unbiased variance. */
  count: number;
};
export type TrainingInputs = Record<'x' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance', tf.TensorInfo>;

export const BATCH_NORM_TRAINING_GRADIENT: tf.GradConfig = {
  kernelName: BN_TRAINING,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true, false, false],
  gradFunc: (dys, saved, attrs) => {
    // The statistics and moving averages feed no loss: the tape hands them zero gradients,
    // which are ignored.
    const [dy] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    // One kernel gives all three; the tape asks for them one at a time.
    const [dx, dgamma, dbeta] = tf.engine().runKernel<tf.Tensor[]>(BN_TRAINING_GRAD, { dy: dy as tf.Tensor, x, gamma, mean, variance }, attrs);
    // The moving statistics are not trained; should anything ask, they have no gradient ([C], as dγ).
    const none = () => tf.zerosLike(dgamma as tf.Tensor);
    return { x: () => dx as tf.Tensor, gamma: () => dgamma as tf.Tensor, beta: () => dbeta as tf.Tensor, movingMean: none, movingVariance: none };
  },
};

/** What a training-mode BatchNorm step gives: the output, the batch statistics, and the new moving statistics. */
export interface TrainingResult {
  y: tf.Tensor;
  mean: tf.Tensor1D;
  /** The biased batch variance (the one the normalisation uses). */
  variance: tf.Tensor1D;
  movingMean: tf.Tensor1D;
  movingVariance: tf.Tensor1D;
}

/** Normalised x over its last axis, the batch statistics and the moving statistics after this batch. */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, moving: { mean: tf.Tensor; variance: tf.Tensor }, attrs: TrainingAttrs): TrainingResult {
  const [y, mean, variance, movingMean, movingVariance] = tf.engine().runKernel<tf.Tensor[]>(BN_TRAINING, { x, gamma, beta, movingMean: moving.mean, movingVariance: moving.variance }, attrs) as [
    tf.Tensor,
    tf.Tensor1D,
    tf.Tensor1D,
    tf.Tensor1D,
    tf.Tensor1D,
  ];
  return { y, mean, variance, movingMean, movingVariance };
}
