import { checkCuda, type CudaHost, TFJS_NODE_GPU_LIBRARIES } from '../../../../src/runtime/cuda-doctor';
import { isSoftwareAdapter, type GpuAdapter, type GpuAdapterInfo } from '../../../../src/runtime/webgpu/adapter';
import type { DawnDeps } from '../../../../src/runtime/webgpu/dawn';
import { checkWebGpu } from '../../../../src/runtime/webgpu/doctor';
import { findVulkan, type VulkanHost } from '../../../../src/runtime/webgpu/vulkan';

/** A machine made of a list of files (folders are implied) and an ldconfig cache. */
function fakeFiles(files: string[], ldconfig: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  const set = new Set(files);
  return {
    env,
    exists: (f: string) => set.has(f),
    list: (dir: string) => [...new Set(files.filter((f) => f.startsWith(`${dir}/`)).map((f) => f.slice(dir.length + 1).split('/')[0] ?? ''))],
    ldconfig: () => Object.entries(ldconfig).map(([name, target]) => `\t${name} (libc6,x86-64) => ${target}`).join('\n'),
  };
}

const H200_SMI_LIST = 'GPU 0: NVIDIA H200 (UUID: GPU-1234)\n';
const H200_SMI = '| NVIDIA-SMI 580.65.06    Driver Version: 580.65.06    CUDA Version: 13.0 |\n';

function cudaHost(over: Partial<CudaHost> & { files?: string[]; ld?: Record<string, string>; env?: NodeJS.ProcessEnv }): CudaHost {
  return {
    ...fakeFiles(over.files ?? [], over.ld ?? {}, over.env ?? {}),
    nvidiaSmi: (args) => (args[0] === '-L' ? H200_SMI_LIST : H200_SMI),
    packageDir: () => undefined,
    napi: 9,
    ...over,
  };
}

const CUDA11 = Object.fromEntries(TFJS_NODE_GPU_LIBRARIES.map((l) => [l, `/usr/local/cuda-11.2/lib64/${l}`]));
const PKG = '/app/node_modules/@tensorflow/tfjs-node-gpu';
const PKG_FILES = [`${PKG}/deps/lib/libtensorflow.so.2.9.1`, `${PKG}/lib/napi-v8/tfjs_binding.node`];

describe('doctor: the CUDA route', () => {
  it('names the driver, the GPU, CUDA_VISIBLE_DEVICES, and every library it finds', () => {
    const r = checkCuda(cudaHost({ ld: CUDA11, files: PKG_FILES, packageDir: () => PKG, env: { CUDA_VISIBLE_DEVICES: '1' } }));
    const driver = r.checks.find((c) => c.what === 'NVIDIA driver');
    expect(driver?.detail).toBe('NVIDIA H200, driver 580.65.06 (supports CUDA up to 13.0); CUDA_VISIBLE_DEVICES=1');
    for (const lib of TFJS_NODE_GPU_LIBRARIES) expect(r.checks.find((c) => c.what === lib)).toEqual({ ok: true, what: lib, detail: `/usr/local/cuda-11.2/lib64/${lib}` });
    expect(r.checks.find((c) => c.what === 'libtensorflow')?.detail).toBe(`${PKG}/deps/lib/libtensorflow.so.2.9.1`);
    expect(r.checks.find((c) => c.what === 'native binding')).toEqual({ ok: true, what: 'native binding', detail: 'N-API v8 (this Node has v9)' });
    expect(r.verdict).toMatch(/everything tfjs-node-gpu 4\.22 loads is here/);
  });

  it('finds libraries on LD_LIBRARY_PATH before the cache', () => {
    const dir = '/opt/cudnn/lib';
    const r = checkCuda(cudaHost({ ld: { ...CUDA11, 'libcudnn.so.8': '/usr/lib/libcudnn.so.8' }, files: [`${dir}/libcudnn.so.8`], env: { LD_LIBRARY_PATH: dir } }));
    expect(r.checks.find((c) => c.what === 'libcudnn.so.8')?.detail).toBe(`${dir}/libcudnn.so.8`);
  });

  it('on a CUDA-13-only host says so plainly and points to webgpu', () => {
    const r = checkCuda(cudaHost({ ld: { 'libcudart.so.13': '/usr/local/cuda-13.0/lib/libcudart.so.13', 'libcublas.so.13': '/usr/local/cuda-13.0/lib/libcublas.so.13' } }));
    for (const lib of TFJS_NODE_GPU_LIBRARIES) expect(r.checks.find((c) => c.what === lib)?.ok).toBe(false);
    expect(r.verdict).toMatch(/^this host has CUDA 13 only \(libcudart\.so\.13\).*CUDA 11\.2 with cuDNN 8.*--backend webgpu/);
  });

  it('names each missing CUDA 11 library', () => {
    const partial = { ...CUDA11 };
    delete partial['libcudnn.so.8'];
    delete partial['libcufft.so.10'];
    const r = checkCuda(cudaHost({ ld: partial }));
    expect(r.verdict).toMatch(/^missing libcufft\.so\.10, libcudnn\.so\.8: install CUDA 11\.2 and cuDNN 8\.1.*LD_LIBRARY_PATH.*--backend webgpu/);
  });

  it('reports no driver, a hidden GPU, a missing libtensorflow and a binding for another N-API', () => {
    expect(checkCuda(cudaHost({ nvidiaSmi: () => undefined, ld: CUDA11 })).verdict).toMatch(/^no usable NVIDIA GPU: nvidia-smi not found/);
    const hidden = checkCuda(cudaHost({ ld: CUDA11, env: { CUDA_VISIBLE_DEVICES: '-1' } }));
    expect(hidden.checks[0]).toMatchObject({ ok: false, detail: expect.stringMatching(/CUDA_VISIBLE_DEVICES=-1 hides every GPU/) as unknown });
    const broken = checkCuda(cudaHost({ ld: CUDA11, files: [`${PKG}/lib/napi-v8/tfjs_binding.node`], packageDir: () => PKG, napi: 6 }));
    expect(broken.checks.find((c) => c.what === 'libtensorflow')?.detail).toMatch(/could not download it; reinstall/);
    expect(broken.checks.find((c) => c.what === 'native binding')?.detail).toBe('built for N-API v8, this Node has v6: npm rebuild @tensorflow/tfjs-node-gpu');
    expect(broken.verdict).toMatch(/^libtensorflow: missing/);
    expect(checkCuda(cudaHost({ ld: CUDA11 })).verdict).toMatch(/tfjs-node-gpu: not installed/);
  });

  it("says whose TF_FORCE_GPU_ALLOW_GROWTH it is", () => {
    expect(checkCuda(cudaHost({})).checks.find((c) => c.what === 'TF_FORCE_GPU_ALLOW_GROWTH')?.detail).toMatch(/^unset: Tim sets it to true/);
    expect(checkCuda(cudaHost({ env: { TF_FORCE_GPU_ALLOW_GROWTH: 'false' } })).checks.find((c) => c.what === 'TF_FORCE_GPU_ALLOW_GROWTH')?.detail).toBe('false (yours)');
  });
});

const vulkanHost = (files: string[], ld: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): VulkanHost => ({ ...fakeFiles(files, ld, env), platform: 'linux' });

describe('Vulkan discovery', () => {
  it("uses the system's loader and drivers where there are some", () => {
    const v = findVulkan(vulkanHost(['/usr/share/vulkan/icd.d/nvidia_icd.json'], { 'libvulkan.so.1': '/lib/x86_64-linux-gnu/libvulkan.so.1' }));
    expect(v).toEqual({
      loader: { found: '/lib/x86_64-linux-gnu/libvulkan.so.1' },
      drivers: { manifests: ['/usr/share/vulkan/icd.d/nvidia_icd.json'], how: "the loader's search folders", softwareOnly: false },
      problems: [],
    });
  });

  it("falls back to chromium's loader and SwiftShader, which is software", () => {
    const v = findVulkan(vulkanHost(['/usr/lib/chromium/libvulkan.so.1', '/usr/lib/chromium/vk_swiftshader_icd.json']));
    expect(v.loader.preload).toBe('/usr/lib/chromium/libvulkan.so.1');
    expect(v.drivers).toMatchObject({ setIcdFilenames: '/usr/lib/chromium/vk_swiftshader_icd.json', softwareOnly: true });
  });

  it("finds NVIDIA's driver where a container mounts it, before SwiftShader", () => {
    const v = findVulkan(vulkanHost(['/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json', '/usr/lib/chromium/vk_swiftshader_icd.json'], { 'libvulkan.so.1': '/usr/lib/libvulkan.so.1' }));
    expect(v.drivers).toMatchObject({ setIcdFilenames: '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json', softwareOnly: false });
  });

  it('says how to fix a missing loader, a missing driver, and a VK_ICD_FILENAMES that names nothing', () => {
    const none = findVulkan(vulkanHost([]));
    expect(none.problems).toEqual([
      'no Vulkan loader (libvulkan.so.1) on LD_LIBRARY_PATH or in ldconfig\'s cache: apt install libvulkan1 (Debian/Ubuntu)',
      expect.stringMatching(/^no Vulkan driver \(ICD manifest in .*\/usr\/share\/vulkan\/icd\.d.*\): NVIDIA: .*libnvidia-gl.*AMD\/Intel: apt install mesa-vulkan-drivers.*chromium \(SwiftShader\)$/),
    ]);
    const wrong = findVulkan(vulkanHost([], { 'libvulkan.so.1': '/usr/lib/libvulkan.so.1' }, { VK_ICD_FILENAMES: '/nowhere/icd.json' }));
    expect(wrong.problems).toEqual(['VK_ICD_FILENAMES=/nowhere/icd.json names no existing driver manifest: fix the path, or unset it to use the installed drivers']);
  });
});

const info = (over: Partial<GpuAdapterInfo>): GpuAdapterInfo => ({ vendor: 'nvidia', architecture: 'hopper', device: 'NVIDIA H200', description: 'NVIDIA: 580.65.06', ...over });

function fakeAdapter(i: GpuAdapterInfo): GpuAdapter {
  return {
    info: i,
    limits: { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 31, maxComputeWorkgroupStorageSize: 32768 },
    features: new Set(),
    requestDevice: () => Promise.reject(new Error('not in this test')),
  };
}

/** Dawn as the doctor sees it: a package folder, a Vulkan host, and an adapter or none. */
function dawnDeps(adapter: GpuAdapter | null, files: string[], ld: Record<string, string> = {}, installed = true): DawnDeps {
  const binary = '/app/node_modules/webgpu/dist/linux-x64/dawn.node';
  return {
    resolve: (id) => {
      if (!installed) throw new Error(`Cannot find module '${id}'`);
      return id === 'webgpu/package.json' ? '/app/node_modules/webgpu/package.json' : `/app/node_modules/${id}/index.js`;
    },
    requireFn: () => ({ create: () => ({ requestAdapter: () => Promise.resolve(adapter) }), globals: {} }),
    vulkanHost: vulkanHost([binary, ...files], ld),
    applyVulkan: () => undefined,
    platform: 'linux',
    arch: 'x64',
  };
}

const SYSTEM_VULKAN = { 'libvulkan.so.1': '/usr/lib/x86_64-linux-gnu/libvulkan.so.1' };

describe('doctor: the WebGPU route', () => {
  it('names a hardware adapter and the limits that matter', async () => {
    const r = await checkWebGpu(dawnDeps(fakeAdapter(info({})), ['/usr/share/vulkan/icd.d/nvidia_icd.json'], SYSTEM_VULKAN));
    expect(r.checks.find((c) => c.what === 'adapter')?.detail).toBe('nvidia hopper (NVIDIA H200, NVIDIA: 580.65.06), hardware, max buffer 4 GiB, max storage binding 2 GiB');
    expect(r.checks.find((c) => c.what === 'limits')?.detail).toBe('maxBufferSize 4096 MiB, maxStorageBufferBindingSize 2048 MiB, maxComputeWorkgroupStorageSize 32768');
    expect(r.verdict).toBe('WebGPU works on a hardware GPU: auto picks it unless CUDA is in use');
  });

  it('says a software adapter is one', async () => {
    const swift = info({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0' });
    const r = await checkWebGpu(dawnDeps(fakeAdapter(swift), ['/usr/share/vulkan/icd.d/swiftshader.json'], SYSTEM_VULKAN));
    expect(r.checks.find((c) => c.what === 'adapter')?.detail).toMatch(/software \(a CPU, not a GPU\)/);
    expect(r.verdict).toMatch(/on a software GPU.*auto never does/);
  });

  it('says why there is none: package, loader, driver, adapter', async () => {
    expect((await checkWebGpu(dawnDeps(null, [], SYSTEM_VULKAN, false))).verdict).toMatch(/^no WebGPU: webgpu \(Dawn\): not installed: npm install webgpu@0\.6 @tensorflow\/tfjs-backend-webgpu@4\.22\.0$/);
    expect((await checkWebGpu(dawnDeps(null, ['/usr/share/vulkan/icd.d/radeon_icd.x86_64.json']))).verdict).toMatch(/^no WebGPU: Vulkan loader: no Vulkan loader \(libvulkan\.so\.1\).*apt install libvulkan1/);
    expect((await checkWebGpu(dawnDeps(null, [], SYSTEM_VULKAN))).verdict).toMatch(/^no WebGPU: Vulkan driver: no Vulkan driver .*mesa-vulkan-drivers/);
    const noAdapter = await checkWebGpu(dawnDeps(null, ['/usr/share/vulkan/icd.d/lvp_icd.x86_64.json'], SYSTEM_VULKAN));
    expect(noAdapter.verdict).toMatch(/^no WebGPU: Dawn found no WebGPU adapter with the Vulkan driver\(s\) \/usr\/share\/vulkan\/icd\.d\/lvp_icd\.x86_64\.json/);
  });

  it('tells software adapters from GPUs', () => {
    expect(isSoftwareAdapter(info({}))).toBe(false);
    expect(isSoftwareAdapter(info({ vendor: 'intel', architecture: 'gen-12lp', device: '', description: 'Intel(R) Xe Graphics' }))).toBe(false);
    expect(isSoftwareAdapter(info({ vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: '' }))).toBe(true);
    expect(isSoftwareAdapter(info({ vendor: 'mesa', architecture: '', device: 'lavapipe', description: '' }))).toBe(true);
    expect(isSoftwareAdapter(info({ vendor: 'x', architecture: 'cpu', device: '', description: '' }))).toBe(true);
    expect(isSoftwareAdapter(info({ isFallbackAdapter: true }))).toBe(true);
  });
});
