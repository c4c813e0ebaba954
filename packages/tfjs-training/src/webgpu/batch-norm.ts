import * as tf from '@tensorflow/tfjs';
import { BN_TRAINING, BN_TRAINING_GRAD, type TrainingAttrs, type TrainingInputs } from '../fused/batch-norm';
import { rowsAndChannels } from '../fused/buffers';
import type { KernelTable } from '../kernel-registry';
import { applyProgram, channelLayout, partialSumsProgram } from './channel-reduce';
import { webgpuBackendOf } from './access';
import { runTimProgram } from './dispatch';

/**
 * Training-mode BatchNorm over the last axis on WebGPU, forward and backward, two dispatches
 * each (see channel-reduce.ts); the forward's second pass also writes the moving statistics.
 * The statistics accumulate around a per-channel shift (the first row) as on cpu and wasm, so
 * the one-pass variance does not cancel.
 */

const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta, movingMean, movingVariance } = inputs as TrainingInputs;
  const { epsilon, momentum, count } = attrs as TrainingAttrs;
  const { rows, c } = rowsAndChannels(x);
  const l = channelLayout(rows, c);
  const sums = partialSumsProgram('TimBatchNormSums', l, ['X'], '(X[at(r, c)] - shift)', '(X[at(r, c)] - shift) * (X[at(r, c)] - shift)', 'let shift = X[c];');
  const [partials] = runTimProgram(backend, sums, [x], [0]) as [tf.TensorInfo];
  const apply = applyProgram({
    name: 'TimBatchNormApply',
    layout: l,
    inputs: ['X', 'GAMMA', 'BETA', 'PM', 'PV'],
    elementShape: x.shape,
    uniforms: [
      { name: 'eps', type: 'f32' },
      { name: 'keep', type: 'f32' },
      { name: 'unbias', type: 'f32' },
    ],
    // The moving statistics with the float32 operations of the cpu kernel (movingAverages).
    coefficients: `
    let m1 = sumA / ${rows}.0;
    let variance = max(0.0, sumB / ${rows}.0 - m1 * m1);
    let mean = m1 + X[c];
    let k0 = GAMMA[c] / sqrt(variance + u.eps);
    let k1 = BETA[c] - mean * k0;
    let k2 = 0.0;
    let movingMean = PM[c] - (PM[c] - mean) * u.keep;
    let movingVariance = PV[c] - (PV[c] - variance * u.unbias) * u.keep;`,
    perChannel: ['mean', 'variance', 'movingMean', 'movingVariance'],
    element: 'out0[at(r, c)] = X[at(r, c)] * k0 + k1;',
  });
  try {
    return runTimProgram(backend, apply, [partials, x, gamma, beta, movingMean, movingVariance], [epsilon, Math.fround(1 - momentum), Math.fround(count / (count - 1))]);
  } finally {
    webgpuBackendOf(backend).disposeData(partials.dataId);
  }
};

const backward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
  const { rows, c } = rowsAndChannels(x);
  const l = channelLayout(rows, c);
  const sums = partialSumsProgram('TimBatchNormGradSums', l, ['DY', 'X', 'MEAN'], 'DY[at(r, c)]', 'DY[at(r, c)] * (X[at(r, c)] - m)', 'let m = MEAN[c];');
  const [partials] = runTimProgram(backend, sums, [dy, x, mean], [0]) as [tf.TensorInfo];
  // dx = a·dy + b·x + d per channel, which carries the batch statistics' dependence on x.
  const apply = applyProgram({
    name: 'TimBatchNormGradApply',
    layout: l,
    inputs: ['DY', 'X', 'GAMMA', 'MEAN', 'VARIANCE'],
    elementShape: x.shape,
    uniforms: [{ name: 'eps', type: 'f32' }],
    coefficients: `
    let inv = 1.0 / sqrt(VARIANCE[c] + u.eps);
    let g = GAMMA[c];
    let k0 = g * inv;
    let k1 = -g * inv * inv * inv * sumB / ${rows}.0;
    let k2 = -k0 * sumA / ${rows}.0 - k1 * MEAN[c];
    let dgamma = sumB * inv;
    let dbeta = sumA;`,
    perChannel: ['dgamma', 'dbeta'],
    element: 'out0[at(r, c)] = k0 * DY[at(r, c)] + k1 * X[at(r, c)] + k2;',
  });
  try {
    return runTimProgram(backend, apply, [partials, dy, x, gamma, mean, variance], [(attrs as { epsilon: number }).epsilon]);
  } finally {
    webgpuBackendOf(backend).disposeData(partials.dataId);
  }
};

/** Tim's fused BatchNorm training kernels for webgpu. */
export function webgpuBatchNormKernels(): KernelTable {
  return { [BN_TRAINING]: forward, [BN_TRAINING_GRAD]: backward };
}
