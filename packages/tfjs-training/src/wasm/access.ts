import * as tf from '@tensorflow/tfjs';
import { runStockKernel } from '../kernel-registry';
import { type HeapBackend } from './simd';

/** What Tim's kernels use of the wasm backend: its heap, its outputs and its reference counts. */
export interface WasmBackend extends HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  incRef(dataId: tf.DataId): void;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const BACKEND_METHODS = ['makeOutput', 'disposeData', 'incRef', 'typedArrayFromHeap', 'getMemoryOffset'] as const;
const MODULE_METHODS = ['_malloc', '_free'] as const;

function missingFields(backend: unknown): string[] {
  if (typeof backend !== 'object' || backend === null) return ['the backend itself'];
  const missing: string[] = BACKEND_METHODS.filter((m) => typeof Reflect.get(backend, m) !== 'function');
  const wasm: unknown = Reflect.get(backend, 'wasm');
  if (typeof wasm !== 'object' || wasm === null) return [...missing, 'wasm'];
  return [...missing, ...MODULE_METHODS.filter((m) => typeof Reflect.get(wasm, m) !== 'function').map((m) => `wasm.${m}`)];
}

function isWasmBackend(backend: unknown): backend is WasmBackend {
  return missingFields(backend).length === 0;
}

const checkedBackends = new WeakMap<object, WasmBackend>();

/**
 * The wasm backend object as Tim's kernels use it, checked once per backend: tfjs hands kernels
 * an untyped backend, and a different build (or a kernel registered for another backend) would
 * otherwise fail deep inside a kernel.
 */
export function wasmBackendOf(backend: unknown): WasmBackend {
  if (typeof backend === 'object' && backend !== null) {
    const known = checkedBackends.get(backend);
    if (known) return known;
  }
  if (!isWasmBackend(backend)) {
    throw new Error(`not the tfjs wasm backend Tim's kernels expect: missing ${missingFields(backend).join(', ')}`);
  }
  checkedBackends.set(backend, backend);
  return backend;
}

export type KernelImpl = (args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

/** Runs a stock wasm kernel directly (no tape, no engine bookkeeping); the caller owns the result. */
export function runStock(name: string, backend: WasmBackend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
  return runStockKernel(name, 'wasm', { inputs, backend: backend, attrs }) as tf.TensorInfo;
}

/** A float32 view of a tensor on the wasm heap; take it after the last allocation (the heap may grow). */
export function f32(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32') throw new Error(`expected float32, got ${info.dtype}`);
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** A new float32 tensor on the wasm heap, filled with zeros. */
export function zerosOutput(backend: WasmBackend, shape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  f32(backend, out).fill(0);
  return out;
}

/** A new float32 tensor on the wasm heap whose every row (last axis) is a copy of row, e.g. a bias. */
export function rowsFilledWith(backend: WasmBackend, shape: number[], row: tf.TensorInfo): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  const values = f32(backend, row);
  const view = f32(backend, out);
  for (let o = 0; o < view.length; o += values.length) view.set(values, o);
  return out;
}

export function release(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function reshapeInfo(backend: WasmBackend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return runStock('Reshape', backend, { x }, { shape });
}

export function dims4(shape: readonly number[]): [number, number, number, number] {
  if (shape.length !== 4) throw new Error(`expected a rank-4 shape, got [${shape.join(',')}]`);
  return shape as [number, number, number, number];
}

/**
 * The wasm heap's size in MB, or undefined when the wasm backend has not started. The heap
 * grows and never shrinks, so this is the high-water mark of everything allocated on it,
 * fragmentation included: the figure that has to stay under the 4 GiB cap.
 */
export function wasmHeapMb(): number | undefined {
  const backend = tf.engine().registry.wasm;
  const mod = backend ? wasmBackendOf(backend).wasm : undefined;
  // The threaded build exports its memory; the single-threaded one only its current views.
  const bytes = mod?.wasmMemory?.buffer.byteLength ?? mod?.HEAPU8?.buffer.byteLength;
  return bytes !== undefined ? Math.round(bytes / 2 ** 20) : undefined;
}
