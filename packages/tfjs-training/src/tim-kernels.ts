import { registerGradientOnce, registerKernels, wrapKernels } from './kernel-registry';
import { cpuFilterGradientKernels } from './cpu/filter-gradients';
import { fusedAdamKernels } from './fused/adam';
import { BATCH_NORM_TRAINING_GRADIENT, fusedBatchNormKernels } from './fused/batch-norm';
import { fusedGelu } from './fused/gelu';
import { fusedSilu } from './fused/silu';
import { fusedLayerNormKernels, LAYER_NORM_GRADIENT } from './fused/layer-norm';
import { wasmKernels, withKernelBoundary } from './wasm/kernels';
import { prepareWasmThreads, wasmThreadCount } from './wasm/threads';

/** Which of Tim's kernels each backend gets; all go through the kernel registry. */

function registerFusedKernels(backendName: 'cpu' | 'wasm'): void {
  registerKernels(backendName, { ...fusedBatchNormKernels(backendName), ...fusedLayerNormKernels(backendName), ...fusedAdamKernels(backendName) });
  registerGradientOnce(BATCH_NORM_TRAINING_GRADIENT);
  registerGradientOnce(LAYER_NORM_GRADIENT);
}

let wasmRegistered = false;

/**
 * Registers the gradient kernels the stock wasm backend lacks, faster versions of its slow ones
 * and the fused kernels. Must run after `@tensorflow/tfjs-backend-wasm` is loaded and before the
 * backend starts (XNNPACK's threads and the stock kernels' setup); safe to call again.
 */
export function registerWasmTrainingKernels(): void {
  if (wasmRegistered) return;
  const threads = wasmThreadCount();
  if (threads > 1) prepareWasmThreads(threads);
  registerKernels('wasm', { ...wasmKernels(), ...fusedGelu.kernels(), ...fusedSilu.kernels() });
  registerGradientOnce(fusedGelu.gradient);
  registerGradientOnce(fusedSilu.gradient);
  registerFusedKernels('wasm');
  wrapKernels('wasm', withKernelBoundary);
  wasmRegistered = true;
}

/**
 * Replaces the cpu backend's filter-gradient kernels with fast ones; training on cpu uses them.
 * Safe to call again.
 */
export function registerFastCpuTrainingKernels(): void {
  registerKernels('cpu', cpuFilterGradientKernels());
}

// The cpu backend is part of tfjs itself, so its fused kernels are registered as soon as this loads.
registerFusedKernels('cpu');
