import * as tf from '@tensorflow/tfjs';
import { affine, batchNormBackward, batchNormForward, movingAverages } from './batch-norm-math';
import { BN_TRAINING, BN_TRAINING_GRAD, type TrainingAttrs, type TrainingInputs } from './batch-norm';
import { BACKENDS, rowsAndChannels, type BufferFactory } from './buffers';
import { runStockKernel, type KernelTable } from '../kernel-registry';
import { wasmBackendOf } from '../wasm/access';
import { simdAffine, simdBatchNormBackward, simdBatchNormForward } from './batch-norm-simd';

function forwardKernel(buffers: BufferFactory, simd: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, movingMean, movingVariance } = inputs as TrainingInputs;
    const { epsilon, momentum, count } = attrs as TrainingAttrs;
    const io = buffers(backend);
    const { c } = rowsAndChannels(x);
    const batch = simd ? simdBatchNormForward(wasmBackendOf(backend), x, gamma, beta, epsilon) : null;
    const [y, mean, variance] = batch ?? io.outputs([x.shape, [c], [c]]).infos;
    const moving = io.outputs([[c], [c]]);
    const infos = [y, mean, variance, ...moving.infos] as tf.TensorInfo[];
    // Views only after every output exists: the wasm heap may move when one is allocated.
    const views = infos.map((t) => io.read(t));
    const [yv, mv, vv, nm, nv] = views as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    if (!batch) batchNormForward(io.read(x), io.read(gamma), io.read(beta), epsilon, yv, mv, vv);
    movingAverages({ mean: io.read(movingMean), variance: io.read(movingVariance) }, { mean: mv, variance: vv }, momentum, count, { mean: nm, variance: nv });
    return infos;
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
    FusedBatchNorm: inferenceKernel(buffers, simd, stock),
  };
}
