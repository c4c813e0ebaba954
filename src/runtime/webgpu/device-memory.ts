import * as os from 'node:os';
import { TimError } from '../../core/errors';
import { realCudaHost } from '../cuda-doctor';
import type { AdapterReport } from './adapter';

/** Where the GPU memory figure the planner budgets against comes from. */
export interface GpuMemory {
  bytes: number;
  source: string;
}

export interface GpuMemoryHost {
  env: NodeJS.ProcessEnv;
  totalHostBytes: () => number;
  nvidiaSmi: (args: string[]) => string | undefined;
}

const realHost: GpuMemoryHost = { env: process.env, totalHostBytes: () => os.totalmem(), nvidiaSmi: (args) => realCudaHost.nvidiaSmi(args) };

const MB = 2 ** 20;

/**
 * The memory of the GPU behind a WebGPU adapter. WebGPU does not say how much memory a device
 * has, so: TIM_WEBGPU_MEMORY_MB where set; the host's memory for a software adapter (it
 * allocates there); nvidia-smi's total for an NVIDIA GPU (the smallest, if it lists several);
 * otherwise unknown, and the planner keeps to the largest-buffer limit alone.
 */
export function gpuMemory(adapter: AdapterReport, host: GpuMemoryHost = realHost): GpuMemory | undefined {
  const set = host.env.TIM_WEBGPU_MEMORY_MB;
  if (set !== undefined && set !== '') {
    const mb = Number(set);
    if (!Number.isFinite(mb) || mb <= 0) throw new TimError(`TIM_WEBGPU_MEMORY_MB: expected the GPU's memory in MB (a positive number), got '${set}'`);
    return { bytes: mb * MB, source: 'TIM_WEBGPU_MEMORY_MB' };
  }
  if (adapter.software) return { bytes: host.totalHostBytes(), source: 'host memory (software adapter)' };
  if (/nvidia/i.test(`${adapter.vendor} ${adapter.description}`)) {
    const out = host.nvidiaSmi(['--query-gpu=memory.total', '--format=csv,noheader,nounits']);
    const totals = (out ?? '')
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((v) => Number.isFinite(v) && v > 0);
    if (totals.length > 0) return { bytes: Math.min(...totals) * MB, source: 'nvidia-smi' };
  }
  return undefined;
}
