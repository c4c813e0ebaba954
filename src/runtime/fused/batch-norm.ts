import * as tf from '@tensorflow/tfjs';
import { affine, batchNormBackward, batchNormForward, movingAverages } from './batch-norm-math';
import { BACKENDS, rowsAndChannels, type BufferFactory } from './buffers';
import { runStockKernel, type KernelTable } from '../kernel-registry';
import { wasmBackendOf } from '../wasm/access';
import { simdAffine, simdBatchNormBackward, simdBatchNormForward } from './batch-norm-simd';

/**
 * Training-mode batch normalisation as one kernel with one gradient kernel, for the wasm and cpu
 * backends. tfjs composes it from moments, batchNorm and their gradients: about twenty passes over
 * each activation per step where these need five.
 */
export const BN_TRAINING = 'TimBatchNormTraining';
export const BN_TRAINING_GRAD = 'TimBatchNormTrainingGrad';
/** The moving mean and variance updated from a batch's statistics (one kernel instead of seven ops). */
export const BN_MOVING = 'TimBatchNormMoving';

// A type, not an interface, so that it is a tfjs attribute map as it stands.
export type MovingAttrs = {
  /** tfjs's momentum (PyTorch's is 1 − this). */
  momentum: number;
  /** Values per channel in the batch, for the unbiased variance. */
  count: number;
};
export type MovingInputs = Record<'movingMean' | 'movingVariance' | 'mean' | 'variance', tf.TensorInfo>;

function forwardKernel(buffers: BufferFactory, simd: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
    const fast = simd ? simdBatchNormForward(wasmBackendOf(backend), x, gamma, beta, (attrs as { epsilon: number }).epsilon) : null;
    if (fast) return fast;
    const io = buffers(backend);
    const { c } = rowsAndChannels(x);
    const out = io.outputs([x.shape, [c], [c]]);
    const [y, mean, variance] = out.views() as [Float32Array, Float32Array, Float32Array];
    batchNormForward(io.read(x), io.read(gamma), io.read(beta), (attrs as { epsilon: number }).epsilon, y, mean, variance);
    return out.infos;
  };
}

function gradKernel(buffers: BufferFactory, simd: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', tf.TensorInfo>;
    const fast = simd ? simdBatchNormBackward(wasmBackendOf(backend), { dy, x, gamma, mean, variance }, (attrs as { epsilon: number }).epsilon) : null;
    if (fast) return fast;
    const io = buffers(backend);
    const { c } = rowsAndChannels(x);
    const out = io.outputs([x.shape, [c], [c]]);
    const [dx, dgamma, dbeta] = out.views() as [Float32Array, Float32Array, Float32Array];
    batchNormBackward(io.read(dy), io.read(x), io.read(gamma), io.read(mean), io.read(variance), (attrs as { epsilon: number }).epsilon, dx, dgamma, dbeta);
    return out.infos;
  };
}

function movingKernel(buffers: BufferFactory): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { movingMean, movingVariance, mean, variance } = inputs as MovingInputs;
    const { momentum, count } = attrs as MovingAttrs;
    const io = buffers(backend);
    const out = io.outputs([movingMean.shape, movingVariance.shape]);
    const [m, v] = out.views() as [Float32Array, Float32Array];
    movingAverages({ mean: io.read(movingMean), variance: io.read(movingVariance) }, { mean: io.read(mean), variance: io.read(variance) }, momentum, count, { mean: m, variance: v });
    return out.infos;
  };
}

/**
 * Inference-mode batchNorm (FusedBatchNorm) over the last axis as one multiply-add per element;
 * other layouts go to the stock kernel.
 */
function inferenceKernel(buffers: BufferFactory, simd: boolean, stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<'x' | 'mean' | 'variance', tf.TensorInfo> & { offset?: tf.TensorInfo; scale?: tf.TensorInfo };
    const { c } = rowsAndChannels(x);
    const perChannel = [mean, variance, offset, scale].every((t) => t === undefined || (tf.util.sizeFromShape(t.shape) === c && t.dtype === 'float32'));
    if (!perChannel || x.dtype !== 'float32' || x.shape.length < 2) return stock(args);
    const io = buffers(args.backend);
    const eps = (args.attrs as { varianceEpsilon: number }).varianceEpsilon;
    const m = io.read(mean);
    const v = io.read(variance);
    const g = scale ? io.read(scale) : undefined;
    const b = offset ? io.read(offset) : undefined;
    const a = new Float32Array(c);
    const o = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      a[k] = (g ? (g[k] as number) : 1) / Math.sqrt((v[k] as number) + eps);
      o[k] = (b ? (b[k] as number) : 0) - (m[k] as number) * (a[k] as number);
    }
    const fast = simd ? simdAffine(wasmBackendOf(args.backend), x, a, o) : null;
    if (fast) return fast;
    const out = io.outputs([x.shape]);
    const [y] = out.views() as [Float32Array];
    affine(io.read(x), a, o, y);
    return out.infos[0] as tf.TensorInfo;
  };
}

export const BATCH_NORM_TRAINING_GRADIENT: tf.GradConfig = {
  kernelName: BN_TRAINING,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    // The mean and variance outputs feed only the moving averages, never a loss: the tape hands
    // them zero gradients, which are ignored.
    const [dy] = dys as tf.Tensor[];
    const [x, gamma, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    // One kernel gives all three; the tape asks for them one at a time.
    const [dx, dgamma, dbeta] = tf.engine().runKernel<tf.Tensor[]>(BN_TRAINING_GRAD, { dy: dy as tf.Tensor, x, gamma, mean, variance }, attrs);
    return { x: () => dx as tf.Tensor, gamma: () => dgamma as tf.Tensor, beta: () => dbeta as tf.Tensor };
  },
};

/**
 * The fused batch-norm kernels, and the inference replacement of FusedBatchNorm, for `wasm` or
 * `cpu`. For wasm, register after its package has loaded (the stock kernel it falls back to must exist).
 */
export function fusedBatchNormKernels(backendName: keyof typeof BACKENDS): KernelTable {
  const buffers = BACKENDS[backendName];
  const simd = backendName === 'wasm';
  const stock: tf.KernelFunc = (args) => runStockKernel('FusedBatchNorm', backendName, args);
  return {
    [BN_TRAINING]: forwardKernel(buffers, simd),
    [BN_TRAINING_GRAD]: gradKernel(buffers, simd),
    [BN_MOVING]: movingKernel(buffers),
    FusedBatchNorm: inferenceKernel(buffers, simd, stock),
  };
}

/** Normalised x and the batch mean and (biased) variance of its last axis. */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel<tf.Tensor[]>(BN_TRAINING, { x, gamma, beta }, { epsilon }) as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
}

/** The moving mean and variance after a training step with the batch's `mean` and (biased) `variance`. */
export function batchNormMoving(movingMean: tf.Tensor, movingVariance: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, attrs: MovingAttrs): [tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel<tf.Tensor[]>(BN_MOVING, { movingMean, movingVariance, mean, variance }, attrs) as [tf.Tensor, tf.Tensor];
}
