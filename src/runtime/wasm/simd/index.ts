import * as v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import { PLAIN_HEAP_MODULE, PLAIN_HEAP_MODULE_NO_FMA, SHARED_HEAP_MODULE, SHARED_HEAP_MODULE_NO_FMA } from './kernels-binary';

/** The exports of kernels.wat; every pointer is a byte offset into the wasm backend's heap. */
export interface SimdKernels {
  affine(x: number, scale: number, offset: number, y: number, rows: number, c: number): void;
  affine2(u: number, v: number, a: number, b: number, d: number, out: number, rows: number, c: number): void;
  moment_sums(a: number, p: number, b: number, q: number, acc1: number, acc2: number, s1: number, s2: number, rows: number, c: number): void;
  depthwise_filter_grad(
    x: number, dy: number, acc: number,
    n: number, h: number, w: number, c: number, ho: number, wo: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number,
  ): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  erf(x: number, out: number, n: number): void;
  exp(x: number, out: number, n: number): void;
  ln_forward(x: number, gamma: number, beta: number, y: number, mean: number, rstd: number, rows: number, c: number, eps: number): void;
  ln_normalise(x: number, mean: number, rstd: number, out: number, rows: number, c: number): void;
  ln_input_grad(dy: number, gamma: number, xhat: number, rstd: number, rows: number, c: number): void;
  depthwise_conv(
    x: number, f: number, out: number,
    n: number, h: number, w: number, c: number, ho: number, wo: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number,
  ): void;
  adam(
    w: number, m: number, v: number, g: number, ow: number, om: number, ov: number, n: number,
    b1: number, c1: number, b2: number, c2: number, d1: number, d2: number, eps: number, nlr: number,
  ): void;
  gather_patches(
    src: number, dst: number, ci: number, nb: number, h: number, w: number, ho: number, wo: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number,
  ): void;
  max_pool_grad(
    x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, ho: number, wo: number,
    fh: number, fw: number, sh: number, sw: number, top: number, left: number,
  ): void;
  winograd_filter(g: number, u: number, ci: number, co: number): void;
  winograd_rows(
    x: number, h: number, w: number, ci: number, ho: number, wo: number, top: number, left: number,
    up: number, out: number, co: number, t0: number, t1: number, scratch: number, tb: number, acc: number, ap: number,
  ): void;
  pack_b(b: number, ldb: number, bp: number, k: number, n: number): void;
  gemm(a: number, ars: number, aps: number, bp: number, c: number, ldc: number, m: number, n: number, k: number, acc: number, ap: number): void;
  gather_rows(
    x: number, dst: number, h: number, w: number, ci: number, ho: number, wo: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number, r0: number, r1: number,
  ): void;
  conv_rows(
    x: number, h: number, w: number, ci: number, ho: number, wo: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number,
    bp: number, out: number, co: number, r0: number, r1: number, scratch: number, mc: number, acc: number, ap: number,
  ): void;
}

/** What the SIMD kernels need of the wasm backend: its memory, its allocator, its tensors' addresses. */
export interface HeapBackend {
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  getMemoryOffset(dataId: tf.DataId): number;
}

/** The wasm backend as kernels that allocate outputs and read them back see it. */
export interface SimdBackend extends HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** The kernels instantiated on one heap, and the compiled module (worker threads instantiate it too). */
export interface BoundKernels {
  kernels: SimdKernels;
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
  try {
    const module = new WebAssembly.Module(kernelModuleBytes(isSharedHeap(memory), fma));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { kernels: instance.exports as unknown as SimdKernels, module, memory };
  } catch {
    return null;
  }
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
  active.kernels.transpose(src.byteOffset, dst.byteOffset, rows, cols);
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
    k.moment_sums(a, zeros, b, zeros, base + 4 * cols, base + 8 * cols, s1, s1 + 8 * cols, rows, cols);
    return [new Float64Array(memory.buffer, s1, cols).slice(), new Float64Array(memory.buffer, s1 + 8 * cols, cols).slice()];
  });
}
