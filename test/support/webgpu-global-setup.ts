import { applyVulkan, findVulkan } from '../../src/runtime/webgpu/vulkan';

/**
 * The webgpu suite's environment, set in the real process before any test file runs: test
 * files see a copy of process.env that native code (the Vulkan loader) never reads, and the
 * CLI runs they spawn inherit it from here.
 */
export default function setup(): void {
  const vulkan = findVulkan();
  if (vulkan.problems.length > 0) throw new Error(`the webgpu suite needs Vulkan: ${vulkan.problems.join('; ')}`);
  applyVulkan(vulkan);
  process.env.TIM_WEBGPU_SYNC_READS = 'throw';
}
