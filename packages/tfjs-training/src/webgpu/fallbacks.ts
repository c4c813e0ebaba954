import type * as tf from '@tensorflow/tfjs';
import { runStockKernel } from '../kernel-registry';

/**
 * Cases Tim's WebGPU kernels hand to the stock tfjs kernel, counted by kernel name, so that the
 * dispatch report can say where the stock kernel still runs.
 */
const counts = new Map<string, number>();

/** Runs the stock webgpu kernel `kernelName` on `args` and counts it. */
export function fallBack(kernelName: string, args: Parameters<tf.KernelFunc>[0]): ReturnType<tf.KernelFunc> {
  counts.set(kernelName, (counts.get(kernelName) ?? 0) + 1);
  return runStockKernel(kernelName, 'webgpu', args);
}

/** How many times each of Tim's WebGPU kernels fell back to the stock one in this process. */
export function webgpuKernelFallbacks(): Record<string, number> {
  return Object.fromEntries(counts);
}
