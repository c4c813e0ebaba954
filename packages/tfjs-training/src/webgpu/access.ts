import type * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** The parts of a WebGPU device Tim's programs use (the real one, or the recording one). */
export interface GpuDeviceLike {
  limits: Record<string, number> | { maxComputeWorkgroupsPerDimension: number };
  createShaderModule(descriptor: { code: string; label?: string }): object;
  createBindGroupLayout(descriptor: { entries: { binding: number; visibility: number; buffer: { type: 'storage' | 'read-only-storage' | 'uniform' } }[] }): object;
  createPipelineLayout(descriptor: { bindGroupLayouts: object[] }): object;
  createComputePipeline(descriptor: { layout: object; compute: { module: object; entryPoint: string }; label?: string }): object;
  createBindGroup(descriptor: { layout: object; entries: { binding: number; resource: object }[] }): object;
  createQuerySet(descriptor: { type: 'timestamp'; count: number }): object;
}

export interface ComputePass {
  setPipeline(pipeline: object): void;
  setBindGroup(index: number, group: object): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface BufferManagerLike {
  numBytesUsed: number;
  numBytesAllocated: number;
}

/** One uniform field as the backend's makeUniforms takes it. */
export interface UniformField {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/**
 * What Tim's kernels use of tfjs-backend-webgpu's WebGPUBackend: its device, its tensor storage,
 * its command encoder and pass, its uniform buffers and its submit batching. These are members
 * of the class in 4.22 (not all in its typings); webgpuBackendOf checks them once.
 */
export interface WebGpuBackend {
  device: GpuDeviceLike;
  bufferManager: BufferManagerLike;
  computePassEncoder: ComputePass | null;
  commandEncoder: { beginComputePass(descriptor: { timestampWrites?: { querySet: object; beginningOfPassWriteIndex: number; endOfPassWriteIndex: number } }): ComputePass } | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  tensorMap: { get(dataId: object): { resource: unknown; refCount: number; values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  uploadToGPU(dataId: object): void;
  makeUniforms(fields: UniformField[]): object;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  runWebGPUProgram(program: WebGPUProgram, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: UniformField[], output?: tf.TensorInfo): tf.TensorInfo;
  /**
   * Per-program GPU timing, as tfjs's time() uses it: while `activeTimers` is an array, each
   * program runs in its own compute pass whose timestamps getQueryTime() resolves, and is listed
   * there by name. Needs the device's timestamp-query feature (supportTimestampQuery).
   */
  activeTimers?: ProgramTimer[] | null;
  supportTimestampQuery?: boolean;
  querySet?: object | null;
  getQueryTime?(): Promise<number>;
}

/** One timed program: its name and its GPU time in ms (0 where timestamps are not supported). */
export interface ProgramTimer {
  name: string;
  query: Promise<number>;
}

const METHODS = ['makeTensorInfo', 'disposeData', 'uploadToGPU', 'makeUniforms', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'runWebGPUProgram'] as const;
const FIELDS = ['device', 'bufferManager', 'tensorMap'] as const;

function missingMembers(backend: unknown): string[] {
  if (typeof backend !== 'object' || backend === null) return ['the backend itself'];
  return [
    ...METHODS.filter((m) => typeof Reflect.get(backend, m) !== 'function'),
    ...FIELDS.filter((f) => {
      const v: unknown = Reflect.get(backend, f);
      return typeof v !== 'object' || v === null;
    }),
  ];
}

function isWebGpuBackend(backend: unknown): backend is WebGpuBackend {
  return missingMembers(backend).length === 0;
}

/**
 * The webgpu backend object as Tim's kernels use it. tfjs hands kernels an untyped backend; a
 * different tfjs-backend-webgpu build would otherwise fail deep inside a kernel.
 */
export function webgpuBackendOf(backend: unknown): WebGpuBackend {
  if (!isWebGpuBackend(backend)) {
    throw new Error(`Tim's webgpu kernels need tfjs-backend-webgpu 4.22's WebGPUBackend; missing: ${missingMembers(backend).join(', ')}`);
  }
  return backend;
}
