import { execFileSync } from 'child_process';
import * as path from 'path';
import type { DoctorCheck } from './doctor-check';
import { findSharedLibrary, type LibraryHost, realLibraryHost, visibleVersions } from './shared-libraries';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** The CUDA 11.2 / cuDNN 8 libraries that tfjs-node-gpu 4.22 (libtensorflow 2.9.1) dlopens. */
export const TFJS_NODE_GPU_LIBRARIES = [
  'libcudart.so.11.0',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
  'libcudnn.so.8',
] as const;

export interface CudaHost extends LibraryHost {
  /** Output of nvidia-smi with these arguments, or undefined where it is missing or fails. */
  nvidiaSmi(args: string[]): string | undefined;
  /** The installed package's folder, or undefined. */
  packageDir(pkg: string): string | undefined;
  /** This Node's N-API version. */
  napi: number;
}

export const realCudaHost: CudaHost = {
  ...realLibraryHost,
  nvidiaSmi: (args) => {
    try {
      return execFileSync('nvidia-smi', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
    } catch {
      return undefined;
    }
  },
  packageDir: (pkg) => {
    try {
      return path.dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      return undefined;
    }
  },
  napi: Number(process.versions.napi ?? 0),
};

const WEBGPU_INSTEAD = 'use --backend webgpu (Vulkan; any current driver) instead';

function driverCheck(host: CudaHost): DoctorCheck {
  const list = host.nvidiaSmi(['-L']);
  if (list === undefined) {
    return { ok: false, what: 'NVIDIA driver', detail: 'nvidia-smi not found or failed: no NVIDIA driver here (or the GPU is not passed into this container)' };
  }
  const gpus = list
    .split('\n')
    .map((l) => /^GPU \d+: (.+?) \(UUID/.exec(l.trim())?.[1])
    .filter((n): n is string => Boolean(n));
  const header = host.nvidiaSmi([]) ?? '';
  const driver = /Driver Version:\s*([\d.]+)/.exec(header)?.[1];
  const cuda = /CUDA Version:\s*([\d.]+)/.exec(header)?.[1];
  if (gpus.length === 0) return { ok: false, what: 'NVIDIA driver', detail: `nvidia-smi runs but lists no GPU${driver ? ` (driver ${driver})` : ''}` };
  const visible = host.env.CUDA_VISIBLE_DEVICES;
  return {
    ok: visible?.trim() !== '' && visible?.trim() !== '-1',
    what: 'NVIDIA driver',
    detail:
      `${gpus.join(', ')}${driver ? `, driver ${driver}` : ''}${cuda ? ` (supports CUDA up to ${cuda})` : ''}; ` +
      (visible === undefined ? 'CUDA_VISIBLE_DEVICES unset (all GPUs)' : `CUDA_VISIBLE_DEVICES=${visible}${visible.trim() === '' || visible.trim() === '-1' ? ' hides every GPU' : ''}`),
  };
}

function libraryChecks(host: CudaHost): DoctorCheck[] {
  return TFJS_NODE_GPU_LIBRARIES.map((lib) => {
    const found = findSharedLibrary(lib, host);
    return { ok: Boolean(found), what: lib, detail: found ?? 'not on LD_LIBRARY_PATH nor in ldconfig -p' };
  });
}

/** The CUDA runtimes the linker sees other than the 11.x that tfjs-node-gpu needs. */
function newerCudaOnly(host: CudaHost, libs: DoctorCheck[]): string | undefined {
  if (libs.find((c) => c.what === 'libcudart.so.11.0')?.ok) return undefined;
  const others = visibleVersions('cudart', host).filter((n) => !n.startsWith('libcudart.so.11'));
  if (others.length === 0) return undefined;
  return (
    `this host has CUDA ${others.map((n) => n.replace('libcudart.so.', '')).join(', ')} only (${others.join(', ')}), and tfjs-node-gpu 4.22 ` +
    `loads only CUDA 11.2 with cuDNN 8 (libtensorflow 2.9.1; tfjs has had no release since): install CUDA 11.2 and cuDNN 8.1 beside it, or ${WEBGPU_INSTEAD}`
  );
}

function packageChecks(host: CudaHost): DoctorCheck[] {
  const dir = host.packageDir(GPU_PACKAGE);
  if (!dir) return [{ ok: false, what: GPU_PACKAGE, detail: `not installed (npm install ${GPU_PACKAGE}@4.22.0; its install step downloads libtensorflow)` }];
  const libDir = path.join(dir, 'deps', 'lib');
  const libtf = host.list(libDir).filter((f) => /^libtensorflow\.so/.test(f));
  const bindings = host
    .list(path.join(dir, 'lib'))
    .map((d) => /^napi-v(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null && host.exists(path.join(dir, 'lib', m[0], 'tfjs_binding.node')))
    .map((m) => Number(m[1]));
  const usable = bindings.filter((v) => v <= host.napi);
  return [
    { ok: true, what: GPU_PACKAGE, detail: dir },
    {
      ok: libtf.length > 0,
      what: 'libtensorflow',
      detail: libtf.length > 0 ? path.join(libDir, libtf[0] ?? '') : `missing in ${libDir}: its install step could not download it; reinstall ${GPU_PACKAGE} with network access`,
    },
    {
      ok: usable.length > 0,
      what: 'native binding',
      detail:
        usable.length > 0
          ? `N-API v${Math.max(...usable)} (this Node has v${host.napi})`
          : bindings.length > 0
            ? `built for N-API v${bindings.join(', v')}, this Node has v${host.napi}: npm rebuild ${GPU_PACKAGE}`
            : `no tfjs_binding.node under ${path.join(dir, 'lib')}: npm rebuild ${GPU_PACKAGE}`,
    },
  ];
}

export interface CudaReport {
  checks: DoctorCheck[];
  /** One line: whether the CUDA route can work here and, if not, what to do. */
  verdict: string;
}

/** What tfjs-node-gpu 4.22 needs, checked one by one. */
export function checkCuda(host: CudaHost = realCudaHost): CudaReport {
  const driver = driverCheck(host);
  const libs = libraryChecks(host);
  const pkg = packageChecks(host);
  const env: DoctorCheck = {
    ok: true,
    what: 'TF_FORCE_GPU_ALLOW_GROWTH',
    detail: host.env.TF_FORCE_GPU_ALLOW_GROWTH === undefined ? 'unset: Tim sets it to true, so TensorFlow takes GPU memory as it needs it' : `${host.env.TF_FORCE_GPU_ALLOW_GROWTH} (yours)`,
  };
  const checks = [driver, ...libs, ...pkg, env];
  const newer = newerCudaOnly(host, libs);
  const missing = libs.filter((c) => !c.ok).map((c) => c.what);
  let verdict: string;
  if (newer) verdict = newer;
  else if (!driver.ok) verdict = `no usable NVIDIA GPU: ${driver.detail}`;
  else if (missing.length > 0) verdict = `missing ${missing.join(', ')}: install CUDA 11.2 and cuDNN 8.1 and put their lib folders on LD_LIBRARY_PATH, or ${WEBGPU_INSTEAD}`;
  else if (pkg.some((c) => !c.ok)) verdict = pkg.filter((c) => !c.ok).map((c) => `${c.what}: ${c.detail}`).join('; ');
  else verdict = 'everything tfjs-node-gpu 4.22 loads is here; the gpu line above says whether it really computes on the GPU';
  return { checks, verdict };
}
