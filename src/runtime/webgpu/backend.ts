import * as tf from '@tensorflow/tfjs';
import { TimError } from '../../core/errors';
import { OutOfMemoryError } from '../memory';
import { type AdapterReport, adapterLine, describeAdapter, type Gpu, type GpuAdapter, type GpuDevice, type GpuLimits, maximumLimits } from './adapter';
import { type DawnDeps, type DawnModule, loadDawn, realDawnDeps, WEBGPU_BACKEND_PACKAGE } from './dawn';
import { capBufferPool, timWebGPUKernelsEnabled } from '@tim/tfjs-training';
import { recordingDevice } from './recording-device';

export interface WebGpuProbe {
  available: boolean;
  /** The adapter is a CPU implementation (SwiftShader, lavapipe): `auto` never picks it. */
  software: boolean;
  detail: string;
  adapter?: AdapterReport;
}

interface Found {
  probe: WebGpuProbe;
  dawn?: DawnModule;
  gpu?: Gpu;
  adapter?: GpuAdapter;
}

const probes = new WeakMap<DawnDeps, Promise<Found>>();

async function find(deps: DawnDeps): Promise<Found> {
  const load = loadDawn(deps);
  if (!load.ok) return { probe: { available: false, software: false, detail: load.why } };
  try {
    deps.resolve(WEBGPU_BACKEND_PACKAGE);
  } catch {
    return { probe: { available: false, software: false, detail: `${WEBGPU_BACKEND_PACKAGE} is not installed: npm install ${WEBGPU_BACKEND_PACKAGE}@4.22.0` } };
  }
  const gpu = load.dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    const drivers = load.vulkan.drivers;
    return {
      probe: {
        available: false,
        software: false,
        detail:
          `Dawn found no WebGPU adapter with the Vulkan driver(s) ${drivers.manifests.join(', ')} (from ${drivers.how}): ` +
          "the driver may be too old for Dawn (Debian 12's lavapipe is), or the GPU is not visible in this container; " +
          'Dawn prints the Vulkan error above',
      },
    };
  }
  const report = describeAdapter(adapter);
  return { probe: { available: true, software: report.software, detail: adapterLine(report), adapter: report }, dawn: load.dawn, gpu, adapter };
}

/** Whether WebGPU runs here, on which adapter; cached per process. */
export async function probeWebGpu(deps: DawnDeps = realDawnDeps): Promise<WebGpuProbe> {
  return (await findCached(deps)).probe;
}

function findCached(deps: DawnDeps): Promise<Found> {
  let p = probes.get(deps);
  if (!p) {
    p = find(deps);
    probes.set(deps, p);
  }
  return p;
}

/** The live device and the first failure it reported (out of memory, device lost). */
interface Session {
  device: GpuDevice;
  limits: GpuLimits;
  adapter: AdapterReport;
  failure?: Error;
}

let session: Session | undefined;

const LOWER = 'lower train.micro_batch or data.image_size (or the batch size of evaluate/explain)';

function failureOf(error: { message: string; constructor: { name: string } }, adapter: AdapterReport): Error {
  const what = error.message.split('\n')[0] ?? '';
  if (error.constructor.name === 'GPUOutOfMemoryError' || /out of memory|allocation failed/i.test(what)) {
    return new OutOfMemoryError(`GPU out of memory on webgpu (${adapter.description || adapter.device}): ${LOWER}`);
  }
  if (/exceeds? (the )?max(imum)? (buffer|storage buffer binding) size|maxBufferSize|maxStorageBufferBindingSize/i.test(what)) {
    return new OutOfMemoryError(`a tensor is larger than this GPU's largest buffer (webgpu: ${what}): ${LOWER}`);
  }
  return new TimError(`WebGPU error on ${adapter.description || adapter.device}: ${what}`);
}

/** Throws the device's first reported failure as one line saying what to lower. */
export function throwIfWebGpuFailed(): void {
  if (session?.failure) throw session.failure;
}

function setGlobals(dawn: DawnModule, gpu: Gpu): void {
  Object.assign(globalThis, dawn.globals);
  const navigator: unknown = Reflect.get(globalThis, 'navigator');
  // Newer Node versions have a navigator of their own; add gpu to it rather than replace it.
  if (typeof navigator === 'object' && navigator !== null && Object.isExtensible(navigator)) Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

interface WebGpuBackendModule {
  WebGPUBackend: new (device: GpuDevice, adapterInfo?: unknown) => tf.KernelBackend;
}

interface ReadingBackend {
  read(dataId: object): Promise<tf.backend_util.BackendValues>;
  readSync(dataId: object): tf.backend_util.BackendValues;
}

/**
 * Makes the `webgpu` tfjs backend use this adapter with every limit at the adapter's maximum,
 * and keeps its device so that `releaseWebGpu` can end it. `navigator.gpu` is set before the
 * backend package is imported: it registers its kernels only if a GPU is there at import.
 */
export async function registerWebGpuBackend(deps: DawnDeps = realDawnDeps): Promise<WebGpuProbe> {
  const found = await findCached(deps);
  const { dawn, gpu, adapter } = found;
  if (!found.probe.available || !dawn || !gpu || !adapter || !found.probe.adapter) throw new TimError(`backend 'webgpu' is unavailable: ${found.probe.detail}`);
  const report = found.probe.adapter;
  // Registered and not yet released: the same backend and device serve every later selection.
  if (registered) return found.probe;
  forbidSyncReads();
  setGlobals(dawn, gpu);
  const mod = deps.requireFn(WEBGPU_BACKEND_PACKAGE) as WebGpuBackendModule;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const limits = maximumLimits(adapter);
    const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = recording ? recordingDevice(limits) : await adapter.requestDevice({ requiredLimits: limits, requiredFeatures });
    const s: Session = { device, limits, adapter: report };
    session = s;
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') s.failure ??= new OutOfMemoryError(`GPU device lost on webgpu (${info.message.split('\n')[0]}): the GPU ran out of memory or was reset; ${LOWER}`);
    });
    device.onuncapturederror = (event) => {
      s.failure ??= failureOf(event.error, report);
    };
    const backend = new mod.WebGPUBackend(device, adapter.info);
    guardReads(backend);
    // Part of Tim's WebGPU work, off with TIM_WEBGPU_KERNELS=stock so the two compare as shipped.
    if (timWebGPUKernelsEnabled()) capBufferPool(backend, POOL_RATIO);
    return backend;
  }, 1);
  registered = true;
  return found.probe;
}

let registered = false;
let recording = false;

/** The most the buffer pool holds, as a multiple of the bytes in use (see buffer-pool.ts). */
const POOL_RATIO = 1.2;

/**
 * Makes the next webgpu backend a recording one (see recording-device.ts): every kernel runs and
 * every dispatch is made, on no memory and with no GPU work. Call before selecting the backend.
 */
export function recordWebGpuDispatches(on: boolean): void {
  recording = on;
}

/** Whether the webgpu backend records instead of computing. */
export const webGpuRecording = (): boolean => recording;

/** Reads report the device's failure, and a synchronous read names itself instead of a missing OffscreenCanvas. */
function guardReads(backend: ReadingBackend): void {
  const read = backend.read.bind(backend);
  const readSync = backend.readSync.bind(backend);
  backend.read = async (dataId) => {
    throwIfWebGpuFailed();
    const values = await read(dataId);
    throwIfWebGpuFailed();
    return values;
  };
  backend.readSync = (dataId) => {
    try {
      return readSync(dataId);
    } catch (e) {
      if (e instanceof ReferenceError) throw new Error('a synchronous read (dataSync/arraySync) on the webgpu backend, which Node cannot do; the code must await data()', { cause: e });
      throw e;
    }
  };
}

let strictReads = false;

/**
 * Makes every dataSync/arraySync on webgpu tensors fail, also those that happen to work (data
 * still on the CPU side), so that none slips into a path a GPU run takes. The webgpu test suite
 * turns it on with TIM_WEBGPU_SYNC_READS=throw. The backend's own kernels still read small
 * CPU-side inputs synchronously, as they may.
 */
function forbidSyncReads(): void {
  if (strictReads || process.env.TIM_WEBGPU_SYNC_READS !== 'throw') return;
  strictReads = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with the tensor as `this` below
  const dataSync = tf.Tensor.prototype.dataSync;
  tf.Tensor.prototype.dataSync = function <D extends tf.DataType = tf.NumericDataType>(this: tf.Tensor): tf.DataTypeMap[D] {
    if (tf.getBackend() === 'webgpu') throw new Error('a synchronous read (dataSync/arraySync) on the webgpu backend (TIM_WEBGPU_SYNC_READS=throw)');
    return dataSync.call(this) as tf.DataTypeMap[D];
  };
}

/** The limits the live device was given (the micro-batch planner reads the buffer sizes). */
export function webGpuLimits(): GpuLimits | undefined {
  return session?.limits;
}

/** The live device's adapter (the micro-batch planner asks how much memory it has). */
export function webGpuAdapter(): AdapterReport | undefined {
  return session?.adapter;
}

/** Ends the device, so that the process can exit; the backend is re-created if needed again. */
export function releaseWebGpu(): void {
  registered = false;
  if (tf.findBackendFactory('webgpu') && !session) tf.removeBackend('webgpu');
  const s = session;
  if (!s) return;
  session = undefined;
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  s.device.destroy();
}
