import * as v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import { PLAIN_HEAP_MODULE, PLAIN_HEAP_MODULE_NO_FMA, SHARED_HEAP_MODULE, SHARED_HEAP_MODULE_NO_FMA } from './kernels-binary';
import { namedKernels, positionalKernels, type PositionalKernels, type SimdKernels } from './named-call';

export type { KernelCall, SimdKernels } from './named-call';

/** What the SIMD kernels need of the wasm backend: its memory, its allocator, its tensors' addresses. */
export interface HeapBackend {
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    /** The single-threaded build's current view of its heap (it exports no memory object). */
    HEAPU8?: Uint8Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  getMemoryOffset(dataId: tf.DataId): number;
}

/** The kernels instantiated on one heap, and the compiled module (worker threads instantiate it too). */
export interface BoundKernels {
  kernels: SimdKernels;
  /** The same exports taking their arguments by position, as worker threads run them. */
  positional: PositionalKernels;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

const instances = new WeakMap<WebAssembly.Memory, BoundKernels | null>();

/** The heap whose kernels were bound last: lets plain array helpers spot views onto it. */
let active: BoundKernels | undefined;

function heapMemory(backend: HeapBackend): WebAssembly.Memory | undefined {
  return backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
}

/**
 * The SIMD kernels bound to this backend's heap, or null where they cannot run (no SIMD in this
 * engine, an unexpected build, or TIM_WASM_SIMD=0); callers then use their JavaScript loops.
 */
export function simdKernels(backend: HeapBackend): SimdKernels | null {
  return boundKernels(backend)?.kernels ?? null;
}

/** As simdKernels, with the module and heap they are bound to. */
export function boundKernels(backend: HeapBackend): BoundKernels | null {
  const memory = heapMemory(backend);
  if (!memory) return null;
  const cached = instances.get(memory);
  if (cached !== undefined) {
    if (cached) active = cached;
    return cached;
  }
  // Read once per heap: this runs at the start of every kernel Tim registers.
  let bound: BoundKernels | null = null;
  if (process.env.TIM_WASM_SIMD !== '0') bound = instantiate(memory, fusedMultiplyAdd());
  instances.set(memory, bound);
  if (bound) active = bound;
  return bound;
}

/** Whether the heap is the threaded build's (shared between threads). */
export function isSharedHeap(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The module for this kind of heap, with or without fused multiply-adds. */
export function kernelModuleBytes(shared: boolean, fma: boolean): Uint8Array<ArrayBuffer> {
  const b64 = shared ? (fma ? SHARED_HEAP_MODULE : SHARED_HEAP_MODULE_NO_FMA) : fma ? PLAIN_HEAP_MODULE : PLAIN_HEAP_MODULE_NO_FMA;
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

export function instantiate(memory: WebAssembly.Memory, fma: boolean): BoundKernels | null {
  let module: WebAssembly.Module;
  let instance: WebAssembly.Instance;
  try {
    module = new WebAssembly.Module(kernelModuleBytes(isSharedHeap(memory), fma));
    instance = new WebAssembly.Instance(module, { env: { memory } });
  } catch {
    return null;
  }
  // A module that compiles but disagrees with its signatures is a stale build, not a missing feature.
  const positional = positionalKernels(instance.exports);
  return { kernels: namedKernels(positional), positional, module, memory };
}

let fmaSupport: boolean | undefined;

/**
 * Whether this engine runs relaxed SIMD, whose multiply-add is fused (one instruction, twice the
 * throughput of a multiply and an add) on CPUs with FMA. Node 20's V8 has it behind a flag,
 * which is turned on here, before any module that uses it is compiled; later engines ship it.
 */
export function fusedMultiplyAdd(): boolean {
  if (fmaSupport !== undefined) return fmaSupport;
  const probe = kernelModuleBytes(false, true);
  if (!WebAssembly.validate(probe)) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // An engine without the flag keeps the plain module.
    }
  }
  fmaSupport = WebAssembly.validate(probe);
  return fmaSupport;
}

/**
 * Transposes [rows, cols] into [cols, rows] with the SIMD kernel when both arrays are views onto
 * the bound wasm heap and both sizes are multiples of 4; false (nothing done) otherwise.
 */
export function heapTranspose(src: Float32Array, dst: Float32Array, rows: number, cols: number): boolean {
  if (!active || rows % 4 !== 0 || cols % 4 !== 0 || rows === 0 || cols === 0) return false;
  const buffer = active.memory.buffer;
  if (src.buffer !== buffer || dst.buffer !== buffer) return false;
  active.kernels.transpose({ src_ptr: src.byteOffset, dst_ptr: dst.byteOffset, rows, cols });
  return true;
}

export function address(backend: HeapBackend, info: tf.TensorInfo): number {
  return backend.getMemoryOffset(info.dataId);
}

/** Scratch space on the heap for the length of `fn`; views must be taken after every allocation. */
export function withScratch<T>(backend: HeapBackend, bytes: number, fn: (ptr: number, memory: WebAssembly.Memory) => T): T {
  // malloc's result is a signed 32-bit value: above 2 GiB it reads as negative in JavaScript.
  const ptr = backend.wasm._malloc(bytes) >>> 0;
  if (ptr === 0) throw new Error(`wasm heap: could not allocate ${bytes} bytes of scratch space`);
  try {
    return fn(ptr, heapMemory(backend) as WebAssembly.Memory);
  } finally {
    backend.wasm._free(ptr);
  }
}

/**
 * Column sums over [rows, cols] (cols a multiple of 4) of a and of a·b, in float64, on the SIMD
 * kernel: blocks of 32 rows in float32, then added up in float64.
 */
export function columnMoments(k: SimdKernels, backend: HeapBackend, a: number, b: number, rows: number, cols: number): [Float64Array, Float64Array] {
  // Scratch: zeros, two float32 accumulators, two float64 sums.
  return withScratch(backend, 28 * cols, (base, memory) => {
    const zeros = base;
    const s1 = base + 12 * cols;
    new Float32Array(memory.buffer, zeros, cols).fill(0);
    new Float64Array(memory.buffer, s1, 2 * cols).fill(0);
    k.centred_sums({ x_ptr: a, x_centre_ptr: zeros, y_ptr: b, y_centre_ptr: zeros, acc1_ptr: base + 4 * cols, acc2_ptr: base + 8 * cols, s1_ptr: s1, s2_ptr: s1 + 8 * cols, rows, c: cols });
    return [new Float64Array(memory.buffer, s1, cols).slice(), new Float64Array(memory.buffer, s1 + 8 * cols, cols).slice()];
  });
}
