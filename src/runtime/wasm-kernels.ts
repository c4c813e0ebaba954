import * as tf from '@tensorflow/tfjs';
import { outOfMemoryMessage } from './memory';
import { captureStockKernel, type KernelImpl } from './wasm/access';
import { conv2DKernel, fusedConv2DKernel } from './wasm/conv';
import { conv2DBackpropFilter, conv2DBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './wasm/conv-grads';
import { registerFusedAdam } from './fused/adam';
import { registerFusedBatchNorm } from './fused/batch-norm';
import { registerFusedLayerNorm } from './fused/layer-norm';
import { depthwiseConv } from './wasm/depthwise';
import { kernelFinished, startHeapWatchdog } from './wasm/heap-watchdog';
import { identity } from './wasm/identity';
import { simdKernels, type HeapBackend } from './wasm/simd';
import { batchMatMul, fusedMatMul, tile } from './wasm/matmul-tile';
import { maxPoolGrad } from './wasm/pool-grad';
import { erf, exp } from './wasm/unary';
import { mean, sum } from './wasm/reduce';
import { prepareWasmThreads, wasmThreadCount } from './wasm/threads';

export { wasmThreadCount };

/** Kernels Tim provides for the wasm backend: the missing gradients, and faster replacements. */
const TIM_WASM_KERNELS: Record<string, KernelImpl> = {
  Conv2D: conv2DKernel,
  FusedConv2D: fusedConv2DKernel,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Tile: tile,
  Sum: sum,
  Mean: mean,
  Identity: identity,
  MaxPoolGrad: maxPoolGrad,
  DepthwiseConv2dNative: depthwiseConv,
  Erf: erf,
  Exp: exp,
};

/** Stock kernels the implementations call; captured before any replacement. */
const STOCK_USED = ['Conv2D', 'FusedConv2D', '_FusedMatMul', 'DepthwiseConv2dNative', 'BatchMatMul', 'Reshape', 'Slice', 'Add', 'Sum', 'Mean', 'Tile', 'MaxPoolGrad', 'Erf', 'Exp'];

let registered = false;

/**
 * Registers the gradient kernels the stock wasm backend lacks (and faster versions of its slow
 * ones). Must run after `@tensorflow/tfjs-backend-wasm` is loaded; safe to call again.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  // XNNPACK's thread pool in Node (see prepareWasmThreads); must precede the backend's start.
  const threads = wasmThreadCount();
  if (threads > 1) prepareWasmThreads(threads);
  for (const name of STOCK_USED) captureStockKernel(name);
  for (const [kernelName, kernelFunc] of Object.entries(TIM_WASM_KERNELS)) {
    const existing = tf.getKernel(kernelName, 'wasm');
    if (existing) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      kernelName,
      backendName: 'wasm',
      kernelFunc: ((args: Parameters<KernelImpl>[0]) => {
        // Binds the SIMD kernels to this heap, so helpers working on heap views can use them.
        simdKernels(args.backend as unknown as HeapBackend);
        return kernelFunc(args);
      }) as unknown as tf.KernelFunc,
      // The stock kernel's setup (binding its C function) must still run when the backend starts,
      // because the replacement calls it for the cases it does not handle itself.
      ...(existing?.setupFunc ? { setupFunc: existing.setupFunc } : {}),
    });
  }
  registerFusedBatchNorm('wasm');
  registerFusedLayerNorm('wasm');
  registerFusedAdam('wasm');
  markKernelBoundaries();
  registered = true;
}

/** Whether conv nets can be trained on wasm (all their gradient kernels exist). */
export function wasmCanTrainConvNets(): boolean {
  return registered;
}

const guarded = new WeakSet<object>();

/**
 * Makes a failed allocation on the wasm heap throw. tfjs does not check malloc's result: past the
 * 4 GiB cap it places the tensor at address 0 and writes over the heap's own bookkeeping, which
 * in the threaded build leaves the worker threads spinning for ever instead of failing.
 */
export function guardWasmAllocations(backend: unknown): void {
  const wasm = (backend as { wasm?: { _malloc?: (bytes: number) => number } } | undefined)?.wasm;
  if (!wasm || typeof wasm._malloc !== 'function' || guarded.has(wasm)) return;
  const malloc = wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number): number => {
    const ptr = malloc(bytes);
    if (ptr === 0 && bytes > 0) throw new Error(`Could not allocate ${bytes} bytes on the wasm heap (4 GiB cap)`);
    return ptr;
  };
  guarded.add(wasm);
  const memory = (backend as { wasm?: { wasmMemory?: WebAssembly.Memory } }).wasm?.wasmMemory;
  if (memory) startHeapWatchdog(memory, `tim: ${outOfMemoryMessage({ backend: 'wasm' })}`);
}

/** Wraps every wasm kernel, stock or Tim's, so that the heap watchdog sees each one finish. */
function markKernelBoundaries(): void {
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        try {
          return inner(args);
        } finally {
          kernelFinished();
        }
      }),
    });
  }
}
