import type * as tf from '@tensorflow/tfjs';

/** The two ways Tim's kernels reach a backend's float32 buffers. */
export interface Buffers {
  read(t: tf.TensorInfo): Float32Array;
  /** Allocates every output first, then hands back views (the wasm heap may move on allocation). */
  outputs(shapes: number[][]): { infos: tf.TensorInfo[]; views: () => Float32Array[] };
}

interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}
interface CpuLike {
  data: { get(id: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

function wasmBuffers(backend: WasmLike): Buffers {
  return {
    read: (t) => backend.typedArrayFromHeap(t),
    outputs: (shapes) => {
      const infos = shapes.map((s) => backend.makeOutput(s, 'float32'));
      return { infos, views: () => infos.map((i) => backend.typedArrayFromHeap(i)) };
    },
  };
}

function cpuBuffers(backend: CpuLike): Buffers {
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
  wasm: (b: unknown) => wasmBuffers(b as WasmLike),
  cpu: (b: unknown) => cpuBuffers(b as CpuLike),
} satisfies Record<string, BufferFactory>;

/** A last-axis view of a tensor: `c` channels (its last dimension) in `rows` rows. */
export function rowsAndChannels(x: tf.TensorInfo): { rows: number; c: number } {
  const c = x.shape[x.shape.length - 1] ?? 1;
  return { c, rows: x.shape.reduce((a, b) => a * b, 1) / c };
}
