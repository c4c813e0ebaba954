import type * as tf from '@tensorflow/tfjs';
import { cpuBackendOf, type CpuBackend } from '../cpu/access';
import { f32, wasmBackendOf, type WasmBackend } from '../wasm/access';

/** The two ways Tim's kernels reach a backend's float32 buffers. */
export interface Buffers {
  read(t: tf.TensorInfo): Float32Array;
  /** Allocates every output first, then hands back views (the wasm heap may move on allocation). */
  outputs(shapes: number[][]): { infos: tf.TensorInfo[]; views: () => Float32Array[] };
}

function wasmBuffers(backend: WasmBackend): Buffers {
  return {
    read: (t) => f32(backend, t),
    outputs: (shapes) => {
      const infos = shapes.map((s) => backend.makeOutput(s, 'float32'));
      return { infos, views: () => infos.map((i) => f32(backend, i)) };
    },
  };
}

function cpuBuffers(backend: CpuBackend): Buffers {
  return {
    read: (t) => backend.data.get(t.dataId).values,
    outputs: (shapes) => {
      const arrays = shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
      const infos = shapes.map((s, i) => backend.makeTensorInfo(s, 'float32', arrays[i] as Float32Array));
      return { infos, views: () => arrays };
    },
  };
}

export type BufferFactory = (backend: unknown) => Buffers;
/** How each backend's buffers are reached; the fused kernels exist for these backends only. */
export const BACKENDS = {
  wasm: (b: unknown) => wasmBuffers(wasmBackendOf(b)),
  cpu: (b: unknown) => cpuBuffers(cpuBackendOf(b)),
} satisfies Record<string, BufferFactory>;

/** A last-axis view of a tensor: `c` channels (its last dimension) in `rows` rows. */
export function rowsAndChannels(x: tf.TensorInfo): { rows: number; c: number } {
  const c = x.shape[x.shape.length - 1] ?? 1;
  return { c, rows: x.shape.reduce((a, b) => a * b, 1) / c };
}
