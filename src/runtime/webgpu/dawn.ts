import * as path from 'path';
import type { Gpu } from './adapter';
import { applyVulkan, findVulkan, type VulkanHost, realVulkanHost, type VulkanSetup } from './vulkan';

export const DAWN_PACKAGE = 'webgpu';
export const WEBGPU_BACKEND_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

export interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

/** What loading Dawn needs from the outside; tests replace each part. */
export interface DawnDeps {
  /** Resolves a module path (require.resolve). */
  resolve: (id: string) => string;
  requireFn: (id: string) => unknown;
  vulkanHost: VulkanHost;
  /** Makes a Vulkan setup take effect in this process (environment, preloaded loader). */
  applyVulkan: (setup: VulkanSetup) => void;
  platform: NodeJS.Platform;
  arch: string;
}

export const realDawnDeps: DawnDeps = {
  resolve: (id) => require.resolve(id),
  requireFn: require,
  vulkanHost: realVulkanHost,
  applyVulkan: (setup) => applyVulkan(setup),
  platform: process.platform,
  arch: process.arch,
};

export type DawnLoad = { ok: true; dawn: DawnModule; vulkan: VulkanSetup } | { ok: false; why: string; vulkan?: VulkanSetup };

/**
 * The prebuilt `dawn.node` inside the `webgpu` package. It is required directly rather than
 * through the package's ES-module entry, which CommonJS loaders (tsx, jest) cannot require.
 */
export function dawnBinaryPath(deps: Pick<DawnDeps, 'resolve' | 'platform' | 'arch'>): string {
  const dir = path.dirname(deps.resolve(`${DAWN_PACKAGE}/package.json`));
  const arch = deps.platform === 'darwin' ? 'universal' : deps.arch;
  return path.join(dir, 'dist', `${deps.platform}-${arch}`, 'dawn.node');
}

const loads = new WeakMap<DawnDeps, DawnLoad>();

/** Finds Vulkan, then loads Dawn; once per process (per set of dependencies). */
export function loadDawn(deps: DawnDeps = realDawnDeps): DawnLoad {
  const known = loads.get(deps);
  if (known) return known;
  const result = loadDawnUncached(deps);
  loads.set(deps, result);
  return result;
}

function loadDawnUncached(deps: DawnDeps): DawnLoad {
  let binary: string;
  try {
    binary = dawnBinaryPath(deps);
  } catch {
    return { ok: false, why: `the '${DAWN_PACKAGE}' package (Dawn) is not installed: npm install ${DAWN_PACKAGE}@0.6 ${WEBGPU_BACKEND_PACKAGE}@4.22.0` };
  }
  const vulkan = findVulkan(deps.vulkanHost);
  if (vulkan.problems.length > 0) return { ok: false, why: vulkan.problems.join('; '), vulkan };
  deps.applyVulkan(vulkan);
  try {
    const dawn = deps.requireFn(binary) as DawnModule;
    return { ok: true, dawn, vulkan };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return { ok: false, why: `${binary} does not load on ${deps.platform}-${deps.arch} (${msg})`, vulkan };
  }
}
