/**
 * @tim/tfjs-training: what Tim adds to tfjs so that it trains ImageNet backbones well: gradient
 * and fused kernels for the cpu, wasm and WebGPU backends, lean back-propagation, and checked
 * accessors of tfjs internals.
 */
export * from './ops';
export { enableTraining, type EnabledTraining, type TrainingBackend, type TrainingOptions } from './enable-training';
export { registeredKernels, registerKernels, registerGradientOnce, restoreStockKernels, runStockKernel, stockKernel, wrapKernels, type KernelTable } from './kernel-registry';
export { leanBackpropInstalled } from './lean-backprop';
export { wasmBackendOf, wasmHeapMb } from './wasm/access';
export { classifyWasmFailure, KernelFaultError } from './wasm/kernel-fault';
export { guardWasmAllocations } from './wasm/global-patches';
export { fusedMultiplyAdd } from './wasm/simd';
export { wasmThreadCount } from './wasm/threads';
export { convGradientFallbacks, registerWebGPUTrainingKernels, STORAGE_BUFFERS_NEEDED, timWebGPUKernelsEnabled, useWebGPUKernels, webgpuKernelsUnavailable } from './webgpu';
export { type ProgramTimer, webgpuBackendOf } from './webgpu/access';
export { variablesPerAdamDispatch } from './webgpu/adam';
export { capBufferPool } from './webgpu/buffer-pool';
export { webgpuKernelFallbacks } from './webgpu/fallbacks';
export { type DispatchRecord, isConvOrMatmul, onDispatch, recordOfProgram } from './webgpu/record';
