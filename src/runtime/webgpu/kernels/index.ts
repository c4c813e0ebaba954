import { registerKernels } from '../../kernel-registry';
import { webgpuConvGradientKernels } from './conv-gradients';

/** Puts Tim's WebGPU training kernels in place of tfjs's stock ones (after the backend package is loaded). */
export function registerWebGPUTrainingKernels(): void {
  registerKernels('webgpu', webgpuConvGradientKernels());
}
