import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { outOfMemoryMessage } from './memory';
import { log } from '../core/log';
import type { BackendChoice } from '../config/schema';
import { enableTraining, type EnabledTraining, fusedMultiplyAdd, guardWasmAllocations, nodeBackendUsesGpu, wasmThreadCount } from '@tim/tfjs-training';
import { probeWebGpu, registerWebGpuBackend, type WebGpuProbe } from './webgpu/backend';

// Production mode: no debug checks, and no banner urging tfjs-node on every run (doctor says it).
tf.env().set('PROD', true);

/** How a native package failed to load, in words a user can act on. */
export interface BackendProbe {
  backend: 'gpu' | 'webgpu' | 'node' | 'wasm' | 'cpu';
  tfName: 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  available: boolean;
  detail: string;
  /** webgpu only: the adapter is a CPU implementation (SwiftShader, lavapipe), never picked by auto. */
  software?: boolean;
}

/** How selection reaches WebGPU; tests give a fake adapter. */
export interface WebGpuAccess {
  probe(): Promise<WebGpuProbe>;
  /** Registers the tfjs `webgpu` backend on the probed adapter; says what it found (its limits decide Tim's kernels). */
  register(): Promise<WebGpuProbe | undefined>;
}

export const realWebGpu: WebGpuAccess = { probe: () => probeWebGpu(), register: () => registerWebGpuBackend() };

export type RequireFn = (id: string) => unknown;

const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const NODE_PACKAGE = '@tensorflow/tfjs-node';
const GPU_HINT =
  'tfjs-node-gpu 4.x needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0, libcudnn.so.8) on LD_LIBRARY_PATH';

/** Turns a failed require of a native tfjs package into one line saying what is missing. */
export function explainLoadFailure(pkg: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Cannot find module/.test(msg) && msg.includes(pkg)) {
    return `${pkg} is not installed (npm install ${pkg}; its install downloads libtensorflow)`;
  }
  const lib = /(lib[\w.+-]+\.so[\w.]*)/.exec(msg)?.[1];
  if (lib && /cudart|cublas|cufft|curand|cusolver|cusparse/.test(lib)) {
    return `${pkg}: CUDA runtime library ${lib} not found; ${GPU_HINT}`;
  }
  if (lib && /cudnn/.test(lib)) return `${pkg}: cuDNN library ${lib} not found; ${GPU_HINT}`;
  if (lib && /libtensorflow/.test(lib)) {
    return `${pkg}: ${lib} missing (its install step could not download libtensorflow; reinstall with network access)`;
  }
  if (/tfjs_binding|napi|\.node\b/.test(msg)) {
    return `${pkg}: native binding missing or built for another Node version (npm rebuild ${pkg})`;
  }
  return `${pkg}: failed to load (${msg.split('\n')[0]})`;
}

function tryRequire(pkg: string, requireFn: RequireFn): { ok: true } | { ok: false; why: string } {
  // libtensorflow takes the whole GPU's memory unless told to grow; the user's setting wins.
  if (pkg === GPU_PACKAGE) process.env.TF_FORCE_GPU_ALLOW_GROWTH ??= 'true';
  try {
    requireFn(pkg);
    return { ok: true };
  } catch (e) {
    return { ok: false, why: explainLoadFailure(pkg, e) };
  }
}

/**
 * Whether tfjs-node-gpu, once loaded, really computes on a CUDA device: it falls back to the CPU
 * silently where the CUDA libraries or the GPU are missing. Unknown counts as no.
 */
export function gpuInUse(env: NodeJS.ProcessEnv = process.env, findBackend: (name: string) => unknown = (n) => tf.findBackend(n)): boolean {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return false;
  try {
    return nodeBackendUsesGpu(findBackend('tensorflow'));
  } catch {
    return false;
  }
}

/** CUDA_VISIBLE_DEVICES as the user set it, for messages. */
export function cudaDevicesNote(env: NodeJS.ProcessEnv = process.env): string {
  return env.CUDA_VISIBLE_DEVICES === undefined ? 'CUDA_VISIBLE_DEVICES unset (all GPUs)' : `CUDA_VISIBLE_DEVICES=${env.CUDA_VISIBLE_DEVICES}`;
}

let wasmInit: Promise<boolean> | undefined;

/** Registers the wasm backend once (selection installs Tim's kernels for it). */
export async function loadWasm(): Promise<boolean> {
  wasmInit ??= (() => {
    // A bad thread count is the user's to fix, not a reason to fall back silently.
    wasmThreadCount();
    try {
      require('@tensorflow/tfjs-backend-wasm');
      return Promise.resolve(true);
    } catch (e) {
      log.verbose(`wasm backend unavailable: ${e instanceof Error ? e.message : String(e)}`);
      return Promise.resolve(false);
    }
  })();
  return wasmInit;
}

/** Which backends load on this machine and why the others do not; used by `tim doctor`. */
export async function probeBackends(requireFn: RequireFn = require, webgpu: WebGpuAccess = realWebGpu): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  const gpu = tryRequire(GPU_PACKAGE, requireFn);
  if (gpu.ok) {
    const inUse = gpuInUse();
    probes.push({
      backend: 'gpu',
      tfName: 'tensorflow',
      available: inUse,
      detail: inUse
        ? `${GPU_PACKAGE} loaded and computing on a CUDA device (${cudaDevicesNote()}, TF_FORCE_GPU_ALLOW_GROWTH=${process.env.TF_FORCE_GPU_ALLOW_GROWTH ?? ''})`
        : `${GPU_PACKAGE} loaded but runs on the CPU, not a GPU (${cudaDevicesNote()}; tim doctor says which CUDA library is missing)`,
    });
  } else {
    probes.push({ backend: 'gpu', tfName: 'tensorflow', available: false, detail: gpu.why });
  }
  const wg = await webgpu.probe();
  probes.push({ backend: 'webgpu', tfName: 'webgpu', available: wg.available, software: wg.software, detail: wg.detail });
  const node = gpu.ok ? { ok: true as const } : tryRequire(NODE_PACKAGE, requireFn);
  probes.push({
    backend: 'node',
    tfName: 'tensorflow',
    available: node.ok,
    detail: node.ok ? `native TensorFlow (libtensorflow) loaded` : node.why,
  });
  const wasm = await loadWasm();
  probes.push({
    backend: 'wasm',
    tfName: 'wasm',
    available: wasm,
    detail: wasm
      ? `WebAssembly (XNNPACK, ${wasmThreadCount()} thread${wasmThreadCount() === 1 ? '' : 's'}; TIM_WASM_THREADS) with Tim's training kernels` +
        (fusedMultiplyAdd() ? ' and fused multiply-adds (relaxed SIMD)' : '')
      : '@tensorflow/tfjs-backend-wasm failed to load',
  });
  probes.push({ backend: 'cpu', tfName: 'cpu', available: true, detail: 'plain JavaScript backend (always available, slowest)' });
  return probes;
}

export interface BackendSelection {
  backend: BackendProbe['backend'];
  tfName: string;
  reason: string;
}

/** A selected backend, started, with Tim's kernels installed for it (by name). */
export interface ActiveBackend extends BackendSelection {
  kernels: string[];
}

export interface SelectOptions {
  requireFn?: RequireFn;
  webgpu?: WebGpuAccess;
  /** Training needs gradient kernels; inference-only jobs may use any backend that forwards. */
  forTraining?: boolean;
  quiet?: boolean;
}

/** The backends Tim's training package knows, by tfjs name. */
function trainingBackend(tfName: string): Parameters<typeof enableTraining>[0] {
  if (tfName === 'cpu' || tfName === 'wasm' || tfName === 'webgpu' || tfName === 'tensorflow') return tfName;
  throw new TimError(`backend '${tfName}' is not one Tim can train on (cpu, wasm, webgpu, tensorflow)`);
}

/**
 * Starts a backend with Tim's kernels: the one place they are installed, so that every command
 * (train, lr-find, bench) runs the same ones. They go in before the backend starts, as the
 * wasm backend's threads must.
 */
async function activate(tfName: string, webgpu: WebGpuAccess): Promise<EnabledTraining> {
  const adapter = tfName === 'webgpu' ? (await webgpu.register())?.adapter : undefined;
  const enabled = enableTraining(trainingBackend(tfName), { storageBuffersPerStage: adapter?.limits.maxStorageBuffersPerShaderStage });
  if (enabled.note) log.warn(enabled.note);
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new TimError(`backend '${tfName}' failed to initialise`);
  await tf.ready();
  if (tfName === 'wasm') guardWasmAllocations(tf.backend(), `tim: ${outOfMemoryMessage({ backend: 'wasm' })}`);
  return enabled;
}

/**
 * `auto`'s order: CUDA really in use, WebGPU on a hardware adapter, native TensorFlow on the CPU,
 * wasm, cpu. The reason names each backend passed over and why.
 */
export function pickAuto(probe: (b: BackendProbe['backend']) => BackendProbe, forTraining: boolean): BackendSelection {
  const passed: string[] = [];
  const because = (why: string): string => (passed.length > 0 ? `${why}; passed over ${passed.join('; ')}` : why);
  const gpu = probe('gpu');
  if (gpu.available) return { backend: 'gpu', tfName: 'tensorflow', reason: because('CUDA GPU in use') };
  passed.push(`gpu (${gpu.detail})`);
  const webgpu = probe('webgpu');
  if (webgpu.available && !webgpu.software) return { backend: 'webgpu', tfName: 'webgpu', reason: because(`WebGPU on ${webgpu.detail}`) };
  passed.push(webgpu.available ? `webgpu (its only adapter is a software GPU, slower than the CPU backends: ${webgpu.detail})` : `webgpu (${webgpu.detail})`);
  const node = probe('node');
  if (node.available) return { backend: 'node', tfName: 'tensorflow', reason: because('native TensorFlow on the CPU') };
  passed.push(`node (${node.detail})`);
  const wasm = probe('wasm');
  if (wasm.available) {
    return {
      backend: 'wasm',
      tfName: 'wasm',
      reason: because(forTraining ? "fastest backend here that can train: XNNPACK with Tim's gradient kernels, far faster than cpu" : 'fastest plain-tfjs backend'),
    };
  }
  passed.push(`wasm (${wasm.detail})`);
  return { backend: 'cpu', tfName: 'cpu', reason: because('plain JavaScript backend') };
}

/**
 * Picks and activates a backend (see pickAuto for `auto`); a forced backend that cannot load is
 * a clear error.
 */
export async function selectBackend(choice: BackendChoice, opts: SelectOptions = {}): Promise<ActiveBackend> {
  const requireFn = opts.requireFn ?? require;
  const webgpu = opts.webgpu ?? realWebGpu;
  const probes = await probeBackends(requireFn, webgpu);
  const probe = (b: BackendProbe['backend']): BackendProbe => probes.find((p) => p.backend === b) as BackendProbe;
  let pick: BackendSelection;
  if (choice === 'auto') {
    pick = pickAuto(probe, opts.forTraining ?? false);
  } else {
    const p = probe(choice);
    if (!p.available) {
      throw new TimError(`backend '${choice}' is unavailable: ${p.detail}`);
    }
    pick = { backend: choice, tfName: p.tfName, reason: 'forced by --backend/runtime.backend' };
    if (p.software) log.warn(`the webgpu adapter is a software GPU, running on the CPU (${p.detail}); expect it to be slower than wasm`);
  }
  const { kernels } = await activate(pick.tfName, webgpu);
  if (!opts.quiet) log.info(`backend: ${pick.backend} (${tf.getBackend()}) — ${pick.reason}`);
  return { ...pick, kernels };
}
