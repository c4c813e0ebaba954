import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { BackendChoice } from '../src/config/schema';
import { createModel } from '../src/models';
import { selectBackend } from '../src/runtime/backend';
import { plan } from '../src/runtime/memory';
import { wasmHeapMb } from '@tim/tfjs-training';
import { FusedAdam } from '../src/train/optimizers';
import { takesWeightDecay } from '../src/train/weight-decay';
import { balancedMicroBatch, batchGradients, evaluateBatch, stepTotals } from '../src/train/step';
import { instrumentGpuTimes } from './gpu-times';
import { instrumentKernels, type KernelTime, kernelTimeSchema } from './kernel-profile';

export type BenchMode = 'train' | 'infer';

export interface ModelBenchOptions {
  mode: BenchMode;
  arch: string;
  imageSize: number;
  batch: number;
  /** Images per forward/backward pass; default: the memory planner's, as `tim train`. */
  microBatch?: number;
  steps: number;
  backend?: BackendChoice;
  /** Untimed steps first (kernel setup, weight packing, heap growth). */
  warmup?: number;
  quiet?: boolean;
  /** Time every kernel of the timed steps (adds a little overhead per kernel call). */
  profile?: boolean;
  /** AdamW's decoupled weight decay (train.weight_decay); 0 or absent: Adam. */
  weightDecay?: number;
}

/**
 * The optimizer Tim trains with (one fused update per variable where the backend allows), at
 * one learning rate; with a weight decay, AdamW on the weights training decays (rank above 1).
 */
export function benchOptimizer(model: tf.LayersModel, weightDecay = 0): FusedAdam {
  const decayed = model.trainableWeights.filter((w) => takesWeightDecay(w, { weight_decay_1d: false })).map((w) => w.name);
  return new FusedAdam(1e-4, 0.9, 0.999, 1e-8, { rate: weightDecay, decayed: new Set(weightDecay > 0 ? decayed : []) });
}

/** The contract printed by `tim bench train|infer --json` (and by `scripts/bench_torch.py`, with more keys). */
export const modelBenchResultSchema = z.looseObject({
  backend: z.string(),
  ms_per_image: z.number(),
  peak_rss_mb: z.number(),
  /** Tim: images per forward/backward pass. */
  micro_batch: z.number().optional(),
  /** On wasm: the heap's high-water mark. */
  wasm_heap_mb: z.number().optional(),
  /** With `profile`: time per kernel over the timed steps, slowest first (self wall-clock time on CPU backends, GPU time from timestamp queries on webgpu). */
  kernels: z.array(kernelTimeSchema).optional(),
});
export type ModelBenchResult = z.infer<typeof modelBenchResultSchema>;

/** A wall-clock profiler read as the GPU one is (asynchronously). */
function synchronous(p: ReturnType<typeof instrumentKernels>): { read: () => Promise<KernelTime[]>; reset: () => void; restore: () => void } {
  return { ...p, read: () => Promise.resolve(p.read()) };
}

/** Peak resident memory of this process so far, in MB (getrusage's maxrss). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * One training step is `tim train`'s: the batch in micro-batches, the forward pass, the
 * cross-entropy loss, its gradients summed over the micro-batches and an Adam update, on random
 * normalised images and random labels; inference is a forward pass in inference mode, in
 * micro-batches as `tim train`'s validation.
 */
export async function runModelBench(opts: ModelBenchOptions): Promise<ModelBenchResult> {
  const training = opts.mode === 'train';
  const selection = await selectBackend(opts.backend ?? 'auto', {
    forTraining: training,
    quiet: opts.quiet ?? true,
  });
  const numClasses = 31;
  const microBatch = Math.min(opts.microBatch ?? plan(opts.arch, opts.imageSize, selection.backend)?.microBatch ?? opts.batch, opts.batch);
  const tm = createModel(opts.arch, { numClasses, inputSize: opts.imageSize, seed: 0 });
  const model = tm.model;
  const x = tf.randomNormal<tf.Rank.R4>([opts.batch, opts.imageSize, opts.imageSize, 3], 0, 1, 'float32', 1);
  const labels = tf.randomUniform<tf.Rank.R1>([opts.batch], 0, numClasses, 'int32', 2);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = benchOptimizer(model, opts.weightDecay);
  // Each step ends with one asynchronous read of its result, so that GPU backends have finished the work.
  const step = async (): Promise<void> => {
    if (training) {
      const r = batchGradients({ model, variables, training: true, microBatch, loss: { numClasses } }, x, labels);
      optimizer.applyGradients(Object.entries(r.grads).map(([name, tensor]) => ({ name, tensor })));
      tf.dispose(Object.values(r.grads));
      await stepTotals(r.totals);
    } else {
      await evaluateBatch(model, x, labels, numClasses, microBatch);
    }
  };
  // On a GPU a kernel function only encodes work: time it there with timestamp queries.
  const profiler = opts.profile ? (selection.tfName === 'webgpu' ? instrumentGpuTimes() : synchronous(instrumentKernels(selection.tfName))) : undefined;
  try {
    for (let i = 0; i < (opts.warmup ?? 1); i++) await step();
    profiler?.reset();
    const t0 = performance.now();
    for (let i = 0; i < opts.steps; i++) await step();
    const ms = performance.now() - t0;
    const heap = wasmHeapMb();
    return {
      backend: selection.backend,
      ms_per_image: Number((ms / (opts.steps * opts.batch)).toFixed(2)),
      peak_rss_mb: peakRssMb(),
      micro_batch: balancedMicroBatch(microBatch, opts.batch),
      ...(heap !== undefined ? { wasm_heap_mb: heap } : {}),
      ...(profiler ? { kernels: (await profiler.read()).map((k) => ({ ...k, ms: Number(k.ms.toFixed(1)) })) } : {}),
    };
  } finally {
    profiler?.restore();
    x.dispose();
    labels.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
