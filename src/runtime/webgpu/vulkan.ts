import * as path from 'path';
import { findSharedLibrary, type LibraryHost, realLibraryHost } from '../shared-libraries';

/** What Vulkan discovery reads from the machine; tests give fakes. */
export interface VulkanHost extends LibraryHost {
  platform: NodeJS.Platform;
}

export const realVulkanHost: VulkanHost = { ...realLibraryHost, platform: process.platform };

export const VULKAN_LOADER = 'libvulkan.so.1';

/** Debian's and Ubuntu's `chromium` ship a Vulkan loader and the SwiftShader software driver here. */
export const CHROMIUM_DIR = '/usr/lib/chromium';
const CHROMIUM_LOADER = path.join(CHROMIUM_DIR, VULKAN_LOADER);
const SWIFTSHADER_ICD = path.join(CHROMIUM_DIR, 'vk_swiftshader_icd.json');

/** Where container images mount NVIDIA's driver, Vulkan ICD included, outside the loader's search path. */
const NVIDIA_MOUNTED_ICD = '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json';

/** The folders the Vulkan loader searches for driver manifests (ICDs) when no variable names them. */
export function icdSearchDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME;
  const dataDirs = (env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':').filter(Boolean);
  const configDirs = (env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':').filter(Boolean);
  return [
    ...configDirs.map((d) => path.join(d, 'vulkan/icd.d')),
    '/etc/vulkan/icd.d',
    ...dataDirs.map((d) => path.join(d, 'vulkan/icd.d')),
    ...(home ? [path.join(home, '.local/share/vulkan/icd.d')] : []),
  ].filter((d, i, all) => all.indexOf(d) === i);
}

export interface VulkanLoader {
  /** A path to dlopen before Dawn starts, where the system has none; undefined when the system's is used. */
  preload?: string;
  /** Where the loader was found, in words; undefined when none was. */
  found?: string;
}

export interface VulkanDrivers {
  /** The manifests the loader will read. */
  manifests: string[];
  /** How they were found, in words. */
  how: string;
  /** A value for VK_ICD_FILENAMES that Tim sets because nothing else names a driver. */
  setIcdFilenames?: string;
  /** Whether the only driver is a software one (SwiftShader, lavapipe). */
  softwareOnly: boolean;
}

export interface VulkanSetup {
  loader: VulkanLoader;
  drivers: VulkanDrivers;
  /** What is missing and how to fix it; empty when loader and a driver were found. */
  problems: string[];
}

const SOFTWARE_MANIFEST = /swiftshader|lvp_icd|lavapipe|llvmpipe/i;

function findLoader(host: VulkanHost): VulkanLoader {
  const system = findSharedLibrary(VULKAN_LOADER, host);
  if (system) return { found: system };
  if (host.exists(CHROMIUM_LOADER)) return { preload: CHROMIUM_LOADER, found: `${CHROMIUM_LOADER} (chromium's; no system ${VULKAN_LOADER})` };
  return {};
}

function namedManifests(value: string | undefined): string[] {
  return (value ?? '').split(':').filter(Boolean);
}

function findDrivers(host: VulkanHost): VulkanDrivers {
  for (const name of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES']) {
    const named = namedManifests(host.env[name]);
    if (named.length > 0) {
      const manifests = named.filter((m) => host.exists(m));
      return { manifests, how: `${name}=${host.env[name]}`, softwareOnly: manifests.length > 0 && manifests.every((m) => SOFTWARE_MANIFEST.test(m)) };
    }
  }
  const manifests = icdSearchDirs(host.env).flatMap((d) =>
    host
      .list(d)
      .filter((f) => f.endsWith('.json'))
      .map((f) => path.join(d, f)),
  );
  if (manifests.length > 0) {
    return { manifests, how: 'the loader\'s search folders', softwareOnly: manifests.every((m) => SOFTWARE_MANIFEST.test(m)) };
  }
  if (host.exists(NVIDIA_MOUNTED_ICD)) {
    return { manifests: [NVIDIA_MOUNTED_ICD], how: "NVIDIA's driver mounted under /usr/local/nvidia", setIcdFilenames: NVIDIA_MOUNTED_ICD, softwareOnly: false };
  }
  if (host.exists(SWIFTSHADER_ICD)) {
    return { manifests: [SWIFTSHADER_ICD], how: "chromium's SwiftShader (software)", setIcdFilenames: SWIFTSHADER_ICD, softwareOnly: true };
  }
  return { manifests: [], how: 'none found', softwareOnly: false };
}

export const INSTALL_LOADER_HINT = 'apt install libvulkan1 (Debian/Ubuntu)';
export const INSTALL_DRIVER_HINT =
  "NVIDIA: the driver's Vulkan part (libnvidia-gl-<version> on Ubuntu) or VK_ICD_FILENAMES=<driver>/nvidia_icd.json; AMD/Intel: apt install mesa-vulkan-drivers; software, for tests: apt install chromium (SwiftShader)";

/**
 * How Dawn will find Vulkan here: the system's loader and drivers where they exist, otherwise
 * chromium's loader and SwiftShader, or NVIDIA's driver where containers mount it.
 */
export function findVulkan(host: VulkanHost = realVulkanHost): VulkanSetup {
  if (host.platform !== 'linux') {
    // Dawn uses Metal on macOS and D3D12 on Windows; nothing to find.
    return { loader: { found: 'not needed on this platform' }, drivers: { manifests: [], how: 'not needed on this platform', softwareOnly: false }, problems: [] };
  }
  const loader = findLoader(host);
  const drivers = findDrivers(host);
  const problems: string[] = [];
  if (!loader.found) problems.push(`no Vulkan loader (${VULKAN_LOADER}) on LD_LIBRARY_PATH or in ldconfig's cache: ${INSTALL_LOADER_HINT}`);
  if (drivers.manifests.length === 0) {
    problems.push(
      drivers.how.startsWith('VK_')
        ? `${drivers.how} names no existing driver manifest: fix the path, or unset it to use the installed drivers`
        : `no Vulkan driver (ICD manifest in ${icdSearchDirs(host.env).join(', ')}): ${INSTALL_DRIVER_HINT}`,
    );
  }
  return { loader, drivers, problems };
}

/** glibc's RTLD_NODELETE: the library stays loaded after Node's addon check closes it. */
const RTLD_NODELETE = 0x1000;

/**
 * Makes the setup take effect in this process: VK_ICD_FILENAMES for a driver found outside the
 * loader's search path, and chromium's loader loaded first, so that Dawn's later
 * dlopen("libvulkan.so.1") gets it by its soname without LD_LIBRARY_PATH (which is read only at
 * process start).
 */
export function applyVulkan(setup: VulkanSetup, env: NodeJS.ProcessEnv = process.env): void {
  if (setup.drivers.setIcdFilenames) env.VK_ICD_FILENAMES = setup.drivers.setIcdFilenames;
  const preload = setup.loader.preload;
  if (!preload) return;
  const flags = RTLD_NODELETE | (process.platform === 'linux' ? 0x102 : 0); // RTLD_NOW | RTLD_GLOBAL
  try {
    process.dlopen({ exports: {} }, preload, flags);
  } catch {
    // Expected: the loader is no Node addon, so Node refuses it after loading; RTLD_NODELETE keeps it.
  }
}
