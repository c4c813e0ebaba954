import type * as tf from '@tensorflow/tfjs';

/** What Tim's kernels use of tfjs's cpu backend: its tensors' values and new outputs. */
export interface CpuBackend {
  data: { get(id: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

function isCpuBackend(backend: unknown): backend is CpuBackend {
  if (typeof backend !== 'object' || backend === null || typeof Reflect.get(backend, 'makeTensorInfo') !== 'function') return false;
  const data: unknown = Reflect.get(backend, 'data');
  return typeof data === 'object' && data !== null && typeof Reflect.get(data, 'get') === 'function';
}

/** The cpu backend object tfjs hands a kernel (untyped there), checked for the fields Tim's kernels use. */
export function cpuBackendOf(backend: unknown): CpuBackend {
  if (!isCpuBackend(backend)) throw new Error("not the tfjs cpu backend Tim's kernels expect: it needs data.get and makeTensorInfo");
  return backend;
}
