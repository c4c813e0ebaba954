import { type KernelTable, registerGradientOnce, registerKernels } from '../../kernel-registry';
import { BATCH_NORM_TRAINING_GRADIENT } from '../../fused/batch-norm';
import { fusedGelu } from '../../fused/gelu';
import { LAYER_NORM_GRADIENT } from '../../fused/layer-norm';
import { fusedSilu } from '../../fused/silu';
import { webgpuAdamKernels } from './adam';
import { webgpuActivationKernels } from './activations';
import { webgpuBatchNormKernels } from './batch-norm';
import { webgpuLayerNormKernels } from './layer-norm';

/**
 * Whether Tim's WebGPU kernels are on: TIM_WEBGPU_KERNELS=stock leaves tfjs's stock kernels
 * alone, so that a run (and the dispatch report) can compare the two.
 */
export function timWebGPUKernelsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TIM_WEBGPU_KERNELS !== 'stock';
}

/** Every kernel Tim registers for webgpu, by name. */
export function webgpuTrainingKernels(): KernelTable {
  return {
    ...webgpuAdamKernels(),
    ...webgpuBatchNormKernels(),
    ...webgpuLayerNormKernels(),
    ...webgpuActivationKernels(),
  };
}

/**
 * Registers Tim's WebGPU kernels (fused Adam, BatchNorm, LayerNorm, GELU, SiLU) and their
 * gradients, unless TIM_WEBGPU_KERNELS=stock. The model layers and the optimizer take a fused
 * kernel wherever the active backend has it (timKernelAvailable). Safe to call again.
 */
export function registerWebGPUTrainingKernels(): void {
  if (!timWebGPUKernelsEnabled()) return;
  registerKernels('webgpu', webgpuTrainingKernels());
  registerGradientOnce(BATCH_NORM_TRAINING_GRADIENT);
  registerGradientOnce(LAYER_NORM_GRADIENT);
  registerGradientOnce(fusedGelu.gradient);
  registerGradientOnce(fusedSilu.gradient);
}
