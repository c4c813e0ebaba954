import * as tf from '@tensorflow/tfjs';
import { TrainingError, wasmThreadCount } from '@tim/tfjs-training';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { explainLoadFailure, gpuInUse, probeBackends, selectBackend, type WebGpuAccess } from '../../../src/runtime/backend';

const missing = (id: string): never => {
  const e = new Error(`Cannot find module '${id}'\nRequire stack:\n- x`);
  throw e;
};

/** WebGPU as selection sees it: no adapter, a software one, or a GPU (backed here by the cpu backend). */
function fakeWebGpu(kind: 'none' | 'software' | 'hardware'): WebGpuAccess & { registered: number } {
  const access = {
    registered: 0,
    probe: () =>
      Promise.resolve(
        kind === 'none'
          ? { available: false, software: false, detail: 'no Vulkan loader (libvulkan.so.1)' }
          : { available: true, software: kind === 'software', detail: kind === 'software' ? 'google swiftshader, software (a CPU, not a GPU)' : 'nvidia hopper, hardware' },
      ),
    register: () => {
      access.registered++;
      tf.registerBackend('webgpu', () => new MathBackendCPU(), 0);
      return Promise.resolve(undefined);
    },
  };
  return access;
}

afterAll(() => {
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
});

describe('backend selection', () => {
  it('explains why native packages do not load', () => {
    expect(explainLoadFailure('@tensorflow/tfjs-node-gpu', new Error("Cannot find module '@tensorflow/tfjs-node-gpu'"))).toMatch(/not installed/);
    expect(explainLoadFailure('@tensorflow/tfjs-node-gpu', new Error('libcudart.so.11.0: cannot open shared object file'))).toMatch(/CUDA runtime library libcudart\.so\.11\.0 not found.*CUDA 11\.2 and cuDNN 8\.1/);
    expect(explainLoadFailure('@tensorflow/tfjs-node-gpu', new Error('libcudnn.so.8: cannot open shared object file'))).toMatch(/cuDNN library libcudnn\.so\.8/);
    expect(explainLoadFailure('@tensorflow/tfjs-node', new Error('libtensorflow.so.2: cannot open shared object file'))).toMatch(/could not download libtensorflow/);
  });

  it('forcing an unavailable backend fails with the reason', async () => {
    const webgpu = fakeWebGpu('none');
    await expect(selectBackend('webgpu', { requireFn: missing, quiet: true, webgpu })).rejects.toThrow("backend 'webgpu' is unavailable: no Vulkan loader (libvulkan.so.1)");
    await expect(selectBackend('gpu', { requireFn: missing, quiet: true, webgpu })).rejects.toThrow(/backend 'gpu' is unavailable: @tensorflow\/tfjs-node-gpu is not installed/);
    await expect(selectBackend('node', { requireFn: missing, quiet: true, webgpu })).rejects.toThrow(/backend 'node' is unavailable/);
    const cuda = (id: string): never => {
      throw new Error(`${id}: libcudart.so.11.0: cannot open shared object file`);
    };
    await expect(selectBackend('gpu', { requireFn: cuda, quiet: true, webgpu })).rejects.toThrow(/libcudart\.so\.11\.0 not found/);
  });

  it('auto falls back to a plain-tfjs backend, which trains with Tim\'s kernels', async () => {
    const probes = await probeBackends(missing, fakeWebGpu('none'));
    expect(probes.map((p) => [p.backend, p.available])).toEqual([
      ['gpu', false],
      ['webgpu', false],
      ['node', false],
      ['wasm', true],
      ['cpu', true],
    ]);
    const inference = await selectBackend('auto', { requireFn: missing, quiet: true, webgpu: fakeWebGpu('none') });
    expect(inference.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    await tf.setBackend('cpu');
    const training = await selectBackend('auto', { requireFn: missing, quiet: true, forTraining: true, webgpu: fakeWebGpu('none') });
    expect(training.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(training.reason).toMatch(/can train/);
  });

  it('auto with only a software adapter picks wasm and says why; --backend webgpu takes it with a warning', async () => {
    const webgpu = fakeWebGpu('software');
    const pick = await selectBackend('auto', { requireFn: missing, quiet: true, forTraining: true, webgpu });
    expect(pick.backend).toBe('wasm');
    expect(pick.reason).toMatch(/passed over gpu \(@tensorflow\/tfjs-node-gpu is not installed.*\); webgpu \(its only adapter is a software GPU, slower than the CPU backends: google swiftshader/);
    expect(webgpu.registered).toBe(0);
    const warnings: string[] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      warnings.push(String(chunk));
      return true;
    });
    try {
      const forced = await selectBackend('webgpu', { requireFn: missing, quiet: true, webgpu });
      expect(forced.backend).toBe('webgpu');
    } finally {
      write.mockRestore();
    }
    expect(warnings.join('')).toMatch(/^warning: the webgpu adapter is a software GPU, running on the CPU \(google swiftshader/);
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('auto picks WebGPU on a hardware adapter before native TensorFlow and wasm', async () => {
    const webgpu = fakeWebGpu('hardware');
    const pick = await selectBackend('auto', { requireFn: missing, quiet: true, forTraining: true, webgpu });
    expect(pick).toMatchObject({ backend: 'webgpu', tfName: 'webgpu' });
    expect(pick.reason).toMatch(/^WebGPU on nvidia hopper, hardware; passed over gpu \(/);
    expect(webgpu.registered).toBe(1);
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('a tfjs-node-gpu that loaded but computes on the CPU is reported so and never taken for a GPU', async () => {
    const loads = (): unknown => ({});
    const probes = await probeBackends(loads, fakeWebGpu('none'));
    expect(probes[0]).toMatchObject({ backend: 'gpu', available: false, detail: expect.stringMatching(/loaded but runs on the CPU, not a GPU \(CUDA_VISIBLE_DEVICES/) as unknown });
    const binding = (onGpu: boolean) => () => ({ binding: { isUsingGpuDevice: () => onGpu } });
    expect(gpuInUse({}, binding(true))).toBe(true);
    expect(gpuInUse({}, binding(false))).toBe(false);
    expect(gpuInUse({ CUDA_VISIBLE_DEVICES: '-1' }, binding(true))).toBe(false);
    expect(gpuInUse({}, () => ({}))).toBe(false);
  });

  it('forcing cpu works', async () => {
    const s = await selectBackend('cpu', { requireFn: missing, quiet: true, webgpu: fakeWebGpu('none') });
    expect(s.tfName).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('wasm thread count', () => {
  it('is one per core by default, capped, and TIM_WASM_THREADS when set', () => {
    expect(wasmThreadCount({}, 2)).toBe(2);
    expect(wasmThreadCount({}, 1)).toBe(1);
    expect(wasmThreadCount({}, 64)).toBe(8);
    expect(wasmThreadCount({ TIM_WASM_THREADS: '1' }, 16)).toBe(1);
    expect(wasmThreadCount({ TIM_WASM_THREADS: '3' }, 2)).toBe(3);
    expect(wasmThreadCount({ TIM_WASM_THREADS: ' ' }, 4)).toBe(4);
  });

  it('rejects a bad TIM_WASM_THREADS with a one-line error naming it', () => {
    for (const bad of ['0', '-2', '1.5', 'two']) {
      expect(() => wasmThreadCount({ TIM_WASM_THREADS: bad }, 2)).toThrow(TrainingError);
      expect(() => wasmThreadCount({ TIM_WASM_THREADS: bad }, 2)).toThrow(`TIM_WASM_THREADS must be a whole number of at least 1, got '${bad}'`);
    }
  });
});
