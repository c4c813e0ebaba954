import * as tf from '@tensorflow/tfjs';
import { classifyWasmFailure, KernelFaultError } from './kernel-fault';
import { type KernelTable } from '../kernel-registry';
import { wasmBackendOf, wasmHeapMb, type KernelImpl } from './access';
import { conv2DKernel, fusedConv2DKernel } from './conv';
import { conv2DBackpropFilter, conv2DBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './conv-grads';
import { depthwiseConv } from './depthwise';
import { kernelFinished } from './heap-watchdog';
import { identity } from './identity';
import { simdKernels } from './simd';
import { batchMatMul, fusedMatMul, tile } from './matmul-tile';
import { maxPoolGrad } from './pool-grad';
import { erf, exp } from './unary';
import { mean, sum } from './reduce';

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

/** Tim's wasm kernels, each first binding the SIMD kernels to its heap so that helpers working on heap views can use them. */
export function wasmKernels(): KernelTable {
  const table: KernelTable = {};
  for (const [kernelName, kernelFunc] of Object.entries(TIM_WASM_KERNELS)) {
    table[kernelName] = (args) => {
      const backend = wasmBackendOf(args.backend);
      simdKernels(backend);
      return kernelFunc({ inputs: args.inputs, backend, attrs: args.attrs });
    };
  }
  return table;
}

/**
 * Wraps a wasm kernel, stock or Tim's, so that the heap watchdog sees each call finish, and a
 * trap inside it with room left on the heap is reported as that kernel's fault, not as memory.
 */
export function withKernelBoundary(kernelName: string, inner: tf.KernelFunc, heapMb: () => number | undefined = wasmHeapMb): tf.KernelFunc {
  return (args) => {
    try {
      return inner(args);
    } catch (e) {
      if (e instanceof KernelFaultError) throw e;
      const heap = heapMb();
      if (classifyWasmFailure(e, heap) === 'kernel-fault') throw new KernelFaultError(kernelName, e, heap);
      throw e;
    } finally {
      kernelFinished();
    }
  };
}
