import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { type KernelTable, runStockKernel } from '../kernel-registry';
import { convGradientPrograms } from './conv-gradients';
import { runPrograms } from './run-program';
import { GEMM_SLICE_MAX } from './tiled-gemm';

/**
 * BatchMatMul with a long reduction: the weight gradient of a dense layer on channels-last
 * activations, aᵀ·b over every pixel of the batch (ConvNeXt's pointwise MLPs: 100,352 rows at
 * 56×56, batch 32). tfjs's packed product gives each invocation the whole reduction; this is the
 * 1×1 convolution's filter gradient with its reduction split across workgroups (split-K), since
 * aᵀ·b over [1, K, M] and [1, K, N] is exactly that gradient of x = a, dy = b. Every other
 * product (short reductions, batched or transposed otherwise) stays on the stock kernel.
 */

type Args = Parameters<tf.KernelFunc>[0];
type MatMulAttrs = { transposeA: boolean; transposeB: boolean };

/** The reduction length of aᵀ·b that this kernel takes, or null where the stock one runs. */
export function longReduction(a: tf.TensorInfo, b: tf.TensorInfo, attrs: MatMulAttrs): { k: number; m: number; n: number } | null {
  if (!attrs.transposeA || attrs.transposeB || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  if (a.shape.length !== 3 || b.shape.length !== 3 || a.shape[0] !== 1 || b.shape[0] !== 1) return null;
  const [, k, m] = a.shape as [number, number, number];
  const [, kb, n] = b.shape as [number, number, number];
  return k === kb && k > GEMM_SLICE_MAX ? { k, m, n } : null;
}

/** The 1×1 convolution whose filter gradient is aᵀ·b: one image of 1 × K pixels, M channels in, N out. */
export function pointwiseInfo(k: number, m: number, n: number): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo([1, 1, k, m], [1, 1, m, n], 1, 1, 'valid', undefined, false, 'channelsLast');
}

function batchMatMul(args: Args): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const sizes = longReduction(a, b, args.attrs as MatMulAttrs);
  const programs = sizes ? convGradientPrograms('Conv2DBackpropFilter', pointwiseInfo(sizes.k, sizes.m, sizes.n)) : [];
  if (!sizes || programs.length === 0) return runStockKernel('BatchMatMul', 'webgpu', args) as tf.TensorInfo;
  // a and b are read as flat buffers, which is how [1, 1, K, M] and [1, 1, K, N] lie in memory.
  const result = runPrograms(args.backend as WebGPUBackend, programs, [a, b]);
  // The same data as [1, M, N]: the only reference to it, so no count changes hands.
  return { dataId: result.dataId, dtype: result.dtype, shape: [1, sizes.m, sizes.n] };
}

/** Tim's BatchMatMul for webgpu: split-K for long aᵀ·b reductions, the stock kernel otherwise. */
export function webgpuBatchMatMulKernels(): KernelTable {
  return { BatchMatMul: batchMatMul };
}
