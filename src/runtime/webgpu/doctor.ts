import type { DoctorCheck } from '../doctor-check';
import { LIMITS_THAT_MATTER } from './adapter';
import { probeWebGpu } from './backend';
import { type DawnDeps, dawnBinaryPath, DAWN_PACKAGE, loadDawn, realDawnDeps, WEBGPU_BACKEND_PACKAGE } from './dawn';
import { findVulkan } from './vulkan';

export interface WebGpuReport {
  checks: DoctorCheck[];
  verdict: string;
}

const MiB = 2 ** 20;

function limitText(name: string, value: number): string {
  return /Size$/.test(name) && value >= MiB ? `${name} ${Math.round((value / MiB) * 10) / 10} MiB` : `${name} ${value}`;
}

/** The WebGPU route checked step by step: Dawn, the Vulkan loader, a driver, the adapter and its limits. */
export async function checkWebGpu(deps: DawnDeps = realDawnDeps): Promise<WebGpuReport> {
  const checks: DoctorCheck[] = [];
  let binary: string | undefined;
  try {
    binary = dawnBinaryPath(deps);
    checks.push({ ok: deps.vulkanHost.exists(binary), what: `${DAWN_PACKAGE} (Dawn)`, detail: deps.vulkanHost.exists(binary) ? binary : `${binary} missing: this platform has no prebuilt Dawn` });
  } catch {
    checks.push({ ok: false, what: `${DAWN_PACKAGE} (Dawn)`, detail: `not installed: npm install ${DAWN_PACKAGE}@0.6 ${WEBGPU_BACKEND_PACKAGE}@4.22.0` });
  }
  let backendPackage = true;
  try {
    deps.resolve(WEBGPU_BACKEND_PACKAGE);
  } catch {
    backendPackage = false;
  }
  checks.push({ ok: backendPackage, what: WEBGPU_BACKEND_PACKAGE, detail: backendPackage ? 'installed' : `not installed: npm install ${WEBGPU_BACKEND_PACKAGE}@4.22.0` });
  // As found before Tim set anything (loading Dawn applies the setup to this process).
  const vulkan = loadDawn(deps).vulkan ?? findVulkan(deps.vulkanHost);
  if (deps.platform === 'linux') {
    const loaderProblem = vulkan.problems.find((p) => p.includes('loader'));
    checks.push({ ok: !loaderProblem, what: 'Vulkan loader', detail: loaderProblem ?? vulkan.loader.found ?? '' });
    const driverProblem = vulkan.problems.find((p) => !p.includes('loader'));
    checks.push({
      ok: !driverProblem,
      what: 'Vulkan driver',
      detail: driverProblem ?? `${vulkan.drivers.manifests.join(', ')} (${vulkan.drivers.how}${vulkan.drivers.setIcdFilenames ? '; Tim sets VK_ICD_FILENAMES to it' : ''})`,
    });
  }
  if (!checks.every((c) => c.ok)) {
    const first = checks.find((c) => !c.ok);
    return { checks, verdict: `no WebGPU: ${first?.what}: ${first?.detail}` };
  }
  const probe = await probeWebGpu(deps);
  checks.push({ ok: probe.available, what: 'adapter', detail: probe.detail });
  if (probe.adapter) {
    const limits = LIMITS_THAT_MATTER.flatMap((k) => (probe.adapter?.limits[k] !== undefined ? [limitText(k, probe.adapter.limits[k])] : []));
    checks.push({ ok: true, what: 'limits', detail: limits.join(', ') });
  }
  const verdict = !probe.available
    ? `no WebGPU: ${probe.detail}`
    : probe.software
      ? 'WebGPU works, on a software GPU (a CPU): --backend webgpu takes it with a warning, auto never does'
      : 'WebGPU works on a hardware GPU: auto picks it unless CUDA is in use';
  return { checks, verdict };
}
