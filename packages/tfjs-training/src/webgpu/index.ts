import { type KernelTable, registerGradientOnce, registerKernels, restoreStockKernels } from '../kernel-registry';
import { BATCH_NORM_TRAINING_GRADIENT } from '../fused/batch-norm';
import { fusedGelu } from '../fused/gelu';
import { LAYER_NORM_GRADIENT } from '../fused/layer-norm';
import { SIGMOID_GRADIENT } from '../fused/sigmoid';
import { fusedSilu } from '../fused/silu';
import { webgpuAdamKernels } from './adam';
import { webgpuBatchMatMulKernels } from './batch-matmul';
import { webgpuConvGradientKernels } from './conv-gradients';
import { webgpuKernelFallbacks } from './fallbacks';
import { webgpuActivationKernels } from './activations';
import { webgpuBatchNormKernels } from './batch-norm';
import { webgpuLayerNormKernels } from './layer-norm';
import { webgpuReduceKernels } from './reduce';

let stockOnly = false;

/**
 * The most storage buffers one of Tim's programs binds: BatchNorm's forward pass reads six
 * (partial sums, x, γ, β and both moving statistics) and writes five. Adam in place adapts to
 * the adapter (variablesPerAdamDispatch). WebGPU guarantees 8; Dawn offers more where the driver
 * has them (12 on SwiftShader).
 */
export const STORAGE_BUFFERS_NEEDED = 11;

/** The adapter's maxStorageBuffersPerShaderStage, as last given to registerWebGPUTrainingKernels. */
let adapterStorageBuffers: number | undefined;

/** Why Tim's WebGPU kernels are off on this adapter, or undefined where they are not. */
export function webgpuKernelsUnavailable(): string | undefined {
  return adapterStorageBuffers === undefined || adapterStorageBuffers >= STORAGE_BUFFERS_NEEDED
    ? undefined
    : `Tim's WebGPU kernels bind up to ${STORAGE_BUFFERS_NEEDED} storage buffers a shader stage and this adapter offers ${adapterStorageBuffers}: training runs on tfjs's stock WebGPU kernels (many more dispatches a step)`;
}

/**
 * Whether Tim's WebGPU kernels are on: TIM_WEBGPU_KERNELS=stock leaves tfjs's stock kernels
 * alone, so that a run (and the dispatch report) can compare the two.
 */
export function timWebGPUKernelsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TIM_WEBGPU_KERNELS !== 'stock' && !stockOnly;
}

/**
 * Switches between Tim's WebGPU kernels and the stock ones within a process (the dispatch
 * report records both); 'tim' has no effect under TIM_WEBGPU_KERNELS=stock.
 */
export function useWebGPUKernels(which: 'tim' | 'stock'): void {
  stockOnly = which === 'stock';
  if (stockOnly) restoreStockKernels('webgpu');
  else registerWebGPUTrainingKernels();
}

/** Every kernel Tim registers for webgpu, by name. */
export function webgpuTrainingKernels(): KernelTable {
  return {
    ...webgpuAdamKernels(),
    ...webgpuBatchNormKernels(),
    ...webgpuLayerNormKernels(),
    ...webgpuActivationKernels(),
    ...webgpuReduceKernels(),
    ...webgpuConvGradientKernels(),
    ...webgpuBatchMatMulKernels(),
  };
}

/**
 * Registers Tim's WebGPU kernels (convolution and depthwise gradients as tiled GEMMs with
 * split-K, and dense layers' weight gradients the same way; fused Adam, BatchNorm, LayerNorm, GELU, SiLU, sigmoid; Sum and Mean over channels-last axes)
 * and their gradients, unless TIM_WEBGPU_KERNELS=stock. The model layers and the optimizer take a fused
 * kernel wherever the active backend has it (timKernelAvailable). With the adapter's
 * maxStorageBuffersPerShaderStage below STORAGE_BUFFERS_NEEDED it leaves the stock kernels, and
 * webgpuKernelsUnavailable() says why. Safe to call again.
 */
export function registerWebGPUTrainingKernels(storageBuffersPerStage?: number): void {
  if (storageBuffersPerStage !== undefined) adapterStorageBuffers = storageBuffersPerStage;
  if (!timWebGPUKernelsEnabled()) return;
  if (webgpuKernelsUnavailable() !== undefined) {
    restoreStockKernels('webgpu');
    return;
  }
  registerKernels('webgpu', webgpuTrainingKernels());
  registerGradientOnce(BATCH_NORM_TRAINING_GRADIENT);
  registerGradientOnce(LAYER_NORM_GRADIENT);
  registerGradientOnce(fusedGelu.gradient);
  registerGradientOnce(fusedSilu.gradient);
  registerGradientOnce(SIGMOID_GRADIENT);
}

/** Shapes Tim's convolution-gradient kernels handed to the stock kernels, by kernel name. */
export function convGradientFallbacks(): Record<string, number> {
  return webgpuKernelFallbacks();
}
