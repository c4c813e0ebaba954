import * as tf from '@tensorflow/tfjs';
import { TimError } from '../src/core/errors';
import { wrapKernels, type ProgramTimer, webgpuBackendOf } from '@tim/tfjs-training';
import type { KernelTime } from './kernel-profile';

/**
 * GPU time of every kernel on webgpu, from timestamp queries: each program (tfjs's and Tim's)
 * runs in a compute pass of its own with timestamps at both ends, and is charged to the kernel
 * that dispatched it. A kernel function only encodes its programs, so wall-clock time around it
 * (instrumentKernels) says nothing of the GPU; this does. Passes are submitted one by one while
 * it is on, so the step itself runs slower than without it.
 */
export function instrumentGpuTimes(): { read: () => Promise<KernelTime[]>; reset: () => void; restore: () => void } {
  const backend = webgpuBackendOf(tf.backend());
  if (backend.supportTimestampQuery !== true) {
    throw new TimError("--profile on webgpu times kernels on the GPU with timestamp queries, and this adapter's device lacks the timestamp-query feature");
  }
  const timers: ProgramTimer[] = [];
  /** The kernel each timer's program ran for, by position in `timers` (the innermost kernel). */
  const kernelOf: string[] = [];
  const calls = new Map<string, number>();
  const unwrap = wrapKernels('webgpu', (kernelName, inner) => (args) => {
    const from = timers.length;
    try {
      return inner(args);
    } finally {
      for (let i = from; i < timers.length; i++) kernelOf[i] ??= kernelName;
      calls.set(kernelName, (calls.get(kernelName) ?? 0) + 1);
    }
  });
  backend.activeTimers = timers;
  return {
    reset: () => {
      timers.length = 0;
      kernelOf.length = 0;
      calls.clear();
    },
    read: async () => {
      const ms = await Promise.all(timers.map((t) => t.query));
      const totals = new Map<string, KernelTime>();
      ms.forEach((t, i) => {
        const kernel = kernelOf[i] ?? '(outside a kernel)';
        const entry = totals.get(kernel) ?? { kernel, calls: calls.get(kernel) ?? 0, ms: 0 };
        entry.ms += t;
        totals.set(kernel, entry);
      });
      return [...totals.values()].sort((a, b) => b.ms - a.ms);
    },
    restore: () => {
      backend.activeTimers = null;
      unwrap();
    },
  };
}
