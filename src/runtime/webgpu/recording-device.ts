import type { GpuDevice, GpuLimits } from './adapter';

/**
 * A stand-in for a WebGPU device that records instead of computing: buffers are bookkeeping
 * objects with no memory behind them, shaders are not compiled and dispatches do nothing. The
 * backend built on it runs a training step's every kernel, buffer-pool decision and dispatch as
 * on the real device (their parameters depend on the shapes and the device's limits, never on
 * the values), in seconds even for a full-size step on a software adapter. Values read back are
 * zeros.
 */

const noop = (): void => undefined;

function globalClass(name: string): { prototype: object } {
  const c: unknown = Reflect.get(globalThis, name);
  if (typeof c !== 'function') throw new Error(`recording WebGPU needs the global ${name} (Dawn's globals are set when the webgpu backend registers)`);
  return c;
}

/** A buffer that passes tfjs's `instanceof GPUBuffer` and holds nothing. */
function fakeBuffer(size: number, usage: number, mappedAtCreation: boolean): object {
  let mapState = mappedAtCreation ? 'mapped' : 'unmapped';
  return Object.create(globalClass('GPUBuffer').prototype, {
    size: { value: size },
    usage: { value: usage },
    label: { value: '', writable: true },
    mapState: { get: () => mapState },
    mapAsync: {
      value: () => {
        mapState = 'mapped';
        return Promise.resolve();
      },
    },
    getMappedRange: { value: (offset = 0, length?: number) => new ArrayBuffer(length ?? size - offset) },
    unmap: {
      value: () => {
        mapState = 'unmapped';
      },
    },
    destroy: { value: noop },
  }) as object;
}

const pass = { setPipeline: noop, setBindGroup: noop, dispatchWorkgroups: noop, end: noop };

function encoder(): object {
  return {
    beginComputePass: () => pass,
    copyBufferToBuffer: noop,
    resolveQuerySet: noop,
    finish: () => ({}),
  };
}

const pipeline = { getBindGroupLayout: () => ({}) };

/** A recording device with the limits of the adapter the real one would have. */
export function recordingDevice(limits: GpuLimits): GpuDevice {
  const device = {
    limits,
    // Timestamp queries need real work to time.
    features: new Set<string>(),
    queue: { submit: noop, writeBuffer: noop, onSubmittedWorkDone: () => Promise.resolve() },
    lost: new Promise<never>(noop),
    createBuffer: (d: { size: number; usage: number; mappedAtCreation?: boolean }) => fakeBuffer(d.size, d.usage, d.mappedAtCreation ?? false),
    createShaderModule: () => ({}),
    createBindGroupLayout: () => ({}),
    createPipelineLayout: () => ({}),
    createComputePipeline: () => pipeline,
    createComputePipelineAsync: () => Promise.resolve(pipeline),
    createBindGroup: () => ({}),
    createCommandEncoder: encoder,
    createQuerySet: () => ({ destroy: noop }),
    createTexture: () => ({ destroy: noop, createView: () => ({}) }),
    destroy: noop,
    onuncapturederror: null,
  };
  return device;
}
