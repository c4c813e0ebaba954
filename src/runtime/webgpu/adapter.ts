/**
 * The parts of the WebGPU API that Tim uses, typed here so that the project typechecks without
 * the optional `webgpu` package and without adding WebGPU's globals to every file.
 */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

export type GpuLimits = Record<string, number>;

export interface GpuDevice {
  readonly lost: Promise<{ reason: string; message: string }>;
  onuncapturederror: ((event: { error: { message: string; constructor: { name: string } } }) => void) | null;
  destroy(): void;
}

export interface GpuAdapter {
  readonly info: GpuAdapterInfo;
  readonly limits: GpuLimits;
  readonly features: ReadonlySet<string>;
  requestDevice(descriptor: { requiredLimits: GpuLimits; requiredFeatures: string[] }): Promise<GpuDevice>;
}

export interface Gpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapter | null>;
}

/** The limits that decide which models and batches fit, in the order doctor prints them. */
export const LIMITS_THAT_MATTER = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const SOFTWARE_ADAPTER = /swiftshader|lavapipe|llvmpipe|softpipe|warp|basic render driver/i;

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU pretending to be a GPU (SwiftShader, lavapipe, llvmpipe, a fallback adapter). */
  software: boolean;
  limits: Partial<Record<(typeof LIMITS_THAT_MATTER)[number], number>>;
}

/** Whether an adapter is a CPU implementation of WebGPU rather than a GPU. */
export function isSoftwareAdapter(info: GpuAdapterInfo): boolean {
  if (info.isFallbackAdapter) return true;
  if (/^cpu$/i.test(info.device) || /^cpu$/i.test(info.architecture)) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => SOFTWARE_ADAPTER.test(s));
}

/** Copies what matters out of an adapter (its info and limits are host objects with getters). */
export function describeAdapter(adapter: GpuAdapter): AdapterReport {
  const info = adapter.info;
  const limits: AdapterReport['limits'] = {};
  for (const k of LIMITS_THAT_MATTER) {
    const v = adapter.limits[k];
    if (typeof v === 'number') limits[k] = v;
  }
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: isSoftwareAdapter(info),
    limits,
  };
}

function gib(bytes: number): string {
  return `${Math.round((bytes / 2 ** 30) * 100) / 100} GiB`;
}

/** One line naming an adapter: "nvidia hopper (NVIDIA H200, driver 580.65), hardware, max buffer 4 GiB". */
export function adapterLine(a: AdapterReport): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = [a.device, a.description].filter(Boolean).join(', ');
  const buffer = a.limits.maxBufferSize !== undefined ? `, max buffer ${gib(a.limits.maxBufferSize)}` : '';
  const binding = a.limits.maxStorageBufferBindingSize !== undefined ? `, max storage binding ${gib(a.limits.maxStorageBufferBindingSize)}` : '';
  return `${name}${detail ? ` (${detail})` : ''}, ${a.software ? 'software (a CPU, not a GPU)' : 'hardware'}${buffer}${binding}`;
}

/** Every numeric limit of the adapter, to be requested at its maximum. */
export function maximumLimits(adapter: GpuAdapter): GpuLimits {
  const out: GpuLimits = {};
  // The limits object is a host object whose values are getters on its prototype.
  for (const k in adapter.limits) {
    const v = adapter.limits[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}
