import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { wrapKernels } from '@tim/tfjs-training';
import { multiplyAdds } from './multiply-adds';

export const kernelTimeSchema = z.object({
  kernel: z.string(),
  calls: z.number(),
  ms: z.number(),
  /** Multiply-adds of all its calls, for the kernels whose arithmetic is counted (see multiply-adds.ts). */
  macs: z.number().optional(),
});
export type KernelTime = z.infer<typeof kernelTimeSchema>;

/**
 * Wraps every kernel registered for `backendName` with a wall-clock timer. The wasm and cpu
 * backends run kernels synchronously, so the time inside a kernel function is its real cost.
 * Returns a function that reads the totals so far and one that puts the original kernels back.
 */
export function instrumentKernels(backendName: string): { read: () => KernelTime[]; reset: () => void; restore: () => void } {
  const totals = new Map<string, KernelTime>();
  // A kernel that runs another through the engine would count its time twice: count self time.
  let childMs = 0;
  const restore = wrapKernels(backendName, (kernelName, inner) => (args) => {
    const savedChild = childMs;
    childMs = 0;
    const t0 = performance.now();
    let output: ReturnType<tf.KernelFunc> | undefined;
    try {
      output = inner(args);
      return output;
    } finally {
      const dt = performance.now() - t0;
      // Counted after the clock stops, and only for outputs already computed (not promises).
      const macs = output !== undefined && !(output instanceof Promise) ? multiplyAdds(kernelName, args.inputs, args.attrs, output) : undefined;
      const self = dt - childMs;
      childMs = savedChild + dt;
      const entry = totals.get(kernelName) ?? { kernel: kernelName, calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += self;
      if (macs !== undefined) entry.macs = (entry.macs ?? 0) + macs;
      totals.set(kernelName, entry);
    }
  });
  return {
    read: () => [...totals.values()].sort((a, b) => b.ms - a.ms),
    reset: () => totals.clear(),
    restore,
  };
}
