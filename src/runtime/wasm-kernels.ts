/**
 * Gradient kernels the stock wasm backend lacks. Until they are registered the wasm backend
 * can run inference but cannot train convolutional networks.
 */
export function registerWasmTrainingKernels(): void {
  // Filled in by the wasm training work; see wasmCanTrainConvNets.
}

/** Whether conv nets can be trained on wasm (all their gradient kernels exist). */
export function wasmCanTrainConvNets(): boolean {
  return false;
}
