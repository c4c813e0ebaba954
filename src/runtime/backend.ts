import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import type { BackendChoice } from '../config/schema';
import { fusedMultiplyAdd } from './wasm/simd';
import { registerWasmTrainingKernels } from './tim-kernels';
import { guardWasmAllocations } from './wasm/kernels';
import { wasmThreadCount } from './wasm/threads';

// Production mode: no debug checks, and no banner urging tfjs-node on every run (doctor says it).
tf.env().set('PROD', true);

/** How a native package failed to load, in words a user can act on. */
export interface BackendProbe {
  backend: 'gpu' | 'node' | 'wasm' | 'cpu';
  tfName: 'tensorflow' | 'wasm' | 'cpu';
  available: boolean;
  detail: string;
}

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
  try {
    requireFn(pkg);
    return { ok: true };
  } catch (e) {
    return { ok: false, why: explainLoadFailure(pkg, e) };
  }
}

/** Whether a CUDA device is usable once tfjs-node-gpu has loaded (it falls back to CPU silently). */
function gpuVisible(): boolean {
  const env = process.env.CUDA_VISIBLE_DEVICES;
  if (env !== undefined && (env.trim() === '' || env.trim() === '-1')) return false;
  try {
    // tfjs-node-gpu loads even without a GPU; the device list of the native backend tells.
    const backend = tf.findBackend('tensorflow') as unknown as { binding?: { isUsingGpuDevice?: () => boolean } } | null;
    const fn = backend?.binding?.isUsingGpuDevice;
    return typeof fn === 'function' ? Boolean(fn.call(backend?.binding)) : true;
  } catch {
    return false;
  }
}

let wasmInit: Promise<boolean> | undefined;

/** Registers the wasm backend (and Tim's training kernels for it) once. */
export async function loadWasm(): Promise<boolean> {
  wasmInit ??= (() => {
    // A bad thread count is the user's to fix, not a reason to fall back silently.
    wasmThreadCount();
    try {
      require('@tensorflow/tfjs-backend-wasm');
      registerWasmTrainingKernels();
      return Promise.resolve(true);
    } catch (e) {
      log.verbose(`wasm backend unavailable: ${e instanceof Error ? e.message : String(e)}`);
      return Promise.resolve(false);
    }
  })();
  return wasmInit;
}

/** Which backends load on this machine and why the others do not; used by `tim doctor`. */
export async function probeBackends(requireFn: RequireFn = require): Promise<BackendProbe[]> {
  const probes: BackendProbe[] = [];
  const gpu = tryRequire(GPU_PACKAGE, requireFn);
  if (gpu.ok) {
    const visible = gpuVisible();
    probes.push({
      backend: 'gpu',
      tfName: 'tensorflow',
      available: visible,
      detail: visible ? `${GPU_PACKAGE} loaded; CUDA device visible` : `${GPU_PACKAGE} loaded but no GPU is visible (nvidia-smi; CUDA_VISIBLE_DEVICES)`,
    });
  } else {
    probes.push({ backend: 'gpu', tfName: 'tensorflow', available: false, detail: gpu.why });
  }
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

export interface SelectOptions {
  requireFn?: RequireFn;
  /** Training needs gradient kernels; inference-only jobs may use any backend that forwards. */
  forTraining?: boolean;
  quiet?: boolean;
}

async function activate(tfName: string): Promise<void> {
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new TimError(`backend '${tfName}' failed to initialise`);
  await tf.ready();
  if (tfName === 'wasm') guardWasmAllocations(tf.backend());
}

/**
 * Picks and activates a backend. `auto` prefers CUDA, then native TensorFlow, then the fastest
 * plain-tfjs backend able to do the job; a forced backend that cannot load is a clear error.
 */
export async function selectBackend(choice: BackendChoice, opts: SelectOptions = {}): Promise<BackendSelection> {
  const requireFn = opts.requireFn ?? require;
  const probes = await probeBackends(requireFn);
  const probe = (b: BackendProbe['backend']): BackendProbe => probes.find((p) => p.backend === b) as BackendProbe;
  let pick: BackendSelection;
  if (choice === 'auto') {
    const gpu = probe('gpu');
    const node = probe('node');
    const wasm = probe('wasm');
    if (gpu.available) {
      pick = { backend: 'gpu', tfName: 'tensorflow', reason: 'CUDA GPU found' };
    } else if (node.available) {
      pick = { backend: 'node', tfName: 'tensorflow', reason: `native TensorFlow on CPU (gpu: ${gpu.detail})` };
    } else {
      pick = wasm.available
        ? {
            backend: 'wasm',
            tfName: 'wasm',
            reason: opts.forTraining
              ? `fastest backend here that can train: XNNPACK with Tim's gradient kernels, far faster than cpu (no native TensorFlow: ${node.detail})`
              : `fastest plain-tfjs backend (no native TensorFlow: ${node.detail})`,
          }
        : {
            backend: 'cpu',
            tfName: 'cpu',
            reason: `wasm unavailable (${wasm.detail}); plain JavaScript backend`,
          };
    }
  } else {
    const p = probe(choice);
    if (!p.available) {
      throw new TimError(`backend '${choice}' is unavailable: ${p.detail}`);
    }
    pick = { backend: choice, tfName: p.tfName, reason: 'forced by --backend/runtime.backend' };
  }
  await activate(pick.tfName);
  if (!opts.quiet) log.info(`backend: ${pick.backend} (${tf.getBackend()}) — ${pick.reason}`);
  return pick;
}
