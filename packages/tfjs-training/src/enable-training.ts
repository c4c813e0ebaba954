import { registerGradientOnce, registerKernels, registeredKernels, wrapKernels } from './kernel-registry';
import { cpuFilterGradientKernels } from './cpu/filter-gradients';
import { installLeanBackprop } from './lean-backprop';
import { activationKernels } from './fused/activation-kernels';
import { fusedAdamKernels } from './fused/adam-kernels';
import { BATCH_NORM_TRAINING_GRADIENT } from './fused/batch-norm';
import { fusedBatchNormKernels } from './fused/batch-norm-kernels';
import { fusedGelu } from './fused/gelu';
import { fusedSilu } from './fused/silu';
import { LAYER_NORM_GRADIENT } from './fused/layer-norm';
import { fusedLayerNormKernels } from './fused/layer-norm-kernels';
import { wasmKernels, withKernelBoundary } from './wasm/kernels';
import { prepareWasmThreads, wasmThreadCount } from './wasm/threads';
import { registerWebGPUTrainingKernels, webgpuKernelsUnavailable } from './webgpu';

/**
 * The one way an application turns Tim's training support on: enableTraining(backend) installs
 * that backend's kernels and their gradients (all through the kernel registry) and the lean
 * back-propagation, and says what it installed. Importing this package installs nothing.
 */

/** The tfjs backends this package knows; `tensorflow` (tfjs-node) gets lean back-propagation only. */
export type TrainingBackend = 'cpu' | 'wasm' | 'webgpu' | 'tensorflow';

export interface TrainingOptions {
  /** wasm: threads for XNNPACK and Tim's kernels; default TIM_WASM_THREADS, else one per core (at most 8). */
  threads?: number;
  /** webgpu: the adapter's maxStorageBuffersPerShaderStage; below STORAGE_BUFFERS_NEEDED the stock kernels stay. */
  storageBuffersPerStage?: number;
}

export interface EnabledTraining {
  backend: TrainingBackend;
  /** The kernels Tim registered for that backend, by name, sorted. */
  kernels: string[];
  /** webgpu: why the stock kernels stay (an adapter with fewer storage buffers a stage than Tim's kernels bind). */
  note?: string;
}

function registerFusedKernels(backendName: 'cpu' | 'wasm'): void {
  registerKernels(backendName, { ...fusedBatchNormKernels(backendName), ...fusedLayerNormKernels(backendName), ...fusedAdamKernels(backendName) });
  registerGradientOnce(BATCH_NORM_TRAINING_GRADIENT);
  registerGradientOnce(LAYER_NORM_GRADIENT);
}

/** The fused kernels, and filter gradients that read flat arrays rather than TensorBuffer.get. */
function enableCpu(): void {
  registerFusedKernels('cpu');
  registerKernels('cpu', cpuFilterGradientKernels());
}

let wasmEnabled = false;

/**
 * The gradient kernels the stock wasm backend lacks, faster versions of its slow ones and the
 * fused kernels, each wrapped so that a trap inside it is reported as that kernel's fault.
 * Threads are set up here, so this must run after `@tensorflow/tfjs-backend-wasm` is loaded and
 * before the backend starts.
 */
function enableWasm(threads: number): void {
  if (wasmEnabled) return;
  if (threads > 1) prepareWasmThreads(threads);
  registerKernels('wasm', { ...wasmKernels(), ...activationKernels(fusedGelu), ...activationKernels(fusedSilu) });
  registerGradientOnce(fusedGelu.gradient);
  registerGradientOnce(fusedSilu.gradient);
  registerFusedKernels('wasm');
  wrapKernels('wasm', withKernelBoundary);
  wasmEnabled = true;
}

/**
 * Installs Tim's kernels for `backend` and the lean back-propagation; safe to call again (what is
 * installed stays installed). Call it before the backend first runs an op: the wasm backend takes
 * its thread count when it starts.
 */
export function enableTraining(backend: TrainingBackend, options: TrainingOptions = {}): EnabledTraining {
  if (backend === 'cpu') enableCpu();
  else if (backend === 'wasm') enableWasm(options.threads ?? wasmThreadCount());
  else if (backend === 'webgpu') registerWebGPUTrainingKernels(options.storageBuffersPerStage);
  installLeanBackprop();
  const kernels = backend === 'tensorflow' ? [] : registeredKernels(backend).sort();
  const note = backend === 'webgpu' ? webgpuKernelsUnavailable() : undefined;
  return { backend, kernels, ...(note !== undefined ? { note } : {}) };
}
