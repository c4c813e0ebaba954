import { TimError } from '../../../../src/core/errors';
import type { AdapterReport } from '../../../../src/runtime/webgpu/adapter';
import { gpuMemory, type GpuMemoryHost } from '../../../../src/runtime/webgpu/device-memory';

const MiB = 2 ** 20;
const adapter = (over: Partial<AdapterReport>): AdapterReport => ({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3', software: false, limits: {}, ...over });
const host = (over: Partial<GpuMemoryHost>): GpuMemoryHost => ({ env: {}, totalHostBytes: () => 24 * 1024 * MiB, nvidiaSmi: () => undefined, ...over });

describe('the memory of the GPU behind a WebGPU adapter', () => {
  it('takes TIM_WEBGPU_MEMORY_MB first, and refuses a value that is not a positive number, naming it', () => {
    expect(gpuMemory(adapter({}), host({ env: { TIM_WEBGPU_MEMORY_MB: '12288' }, nvidiaSmi: () => '81559\n' }))).toEqual({ bytes: 12288 * MiB, source: 'TIM_WEBGPU_MEMORY_MB' });
    for (const bad of ['lots', '-1', '0']) {
      expect(() => gpuMemory(adapter({}), host({ env: { TIM_WEBGPU_MEMORY_MB: bad } }))).toThrow(TimError);
      expect(() => gpuMemory(adapter({}), host({ env: { TIM_WEBGPU_MEMORY_MB: bad } }))).toThrow(new RegExp(`TIM_WEBGPU_MEMORY_MB.*'${bad}'`));
    }
  });

  it("is the host's memory for a software adapter, which allocates there", () => {
    expect(gpuMemory(adapter({ vendor: 'google', description: 'swiftshader', software: true }), host({}))).toEqual({ bytes: 24 * 1024 * MiB, source: 'host memory (software adapter)' });
  });

  it("asks nvidia-smi on an NVIDIA GPU, and takes the smallest GPU it lists", () => {
    const asked: string[][] = [];
    const smi = (args: string[]) => {
      asked.push(args);
      return '81559\n40960\n';
    };
    expect(gpuMemory(adapter({}), host({ nvidiaSmi: smi }))).toEqual({ bytes: 40960 * MiB, source: 'nvidia-smi' });
    expect(asked).toEqual([['--query-gpu=memory.total', '--format=csv,noheader,nounits']]);
  });

  it('is unknown where nvidia-smi fails or the GPU is another make', () => {
    expect(gpuMemory(adapter({}), host({ nvidiaSmi: () => undefined }))).toBeUndefined();
    expect(gpuMemory(adapter({}), host({ nvidiaSmi: () => '[N/A]\n' }))).toBeUndefined();
    expect(gpuMemory(adapter({ vendor: 'amd', description: 'Radeon RX 7900' }), host({ nvidiaSmi: () => '81559' }))).toBeUndefined();
  });
});
