import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { createModel } from '../src/models';
import { selectBackend } from '../src/runtime/backend';
import { wrapKernels, webgpuBackendOf, convGradientFallbacks, timWebGPUKernelsEnabled, useWebGPUKernels, type DispatchRecord, isConvOrMatmul, onDispatch, recordOfProgram } from '@tim/tfjs-training';
import { recordWebGpuDispatches, releaseWebGpu } from '../src/runtime/webgpu/backend';
import { batchGradients, stepTotals } from '../src/train/step';
import { benchOptimizer } from './model-bench';

/** A convolution or matrix product with more serial multiply-adds per invocation than this is "long". */
export const LONG_SERIAL = 4096;

const programRowSchema = z.object({
  program: z.string(),
  tim: z.boolean(),
  dispatches: z.number(),
  /** Invocations of all its dispatches. */
  invocations: z.number(),
  /** The most multiply-adds one invocation did serially (convolutions, matrix products and Tim's reductions). */
  max_serial_multiply_adds: z.number().optional(),
  /** The most storage buffers one of its dispatches bound (Tim's programs). */
  max_storage_buffers: z.number().optional(),
});

export const dispatchReportSchema = z.object({
  arch: z.string(),
  image_size: z.number(),
  batch: z.number(),
  micro_batch: z.number(),
  /** tim: Tim's WebGPU kernels registered; stock: TIM_WEBGPU_KERNELS=stock. */
  kernels: z.enum(['tim', 'stock']),
  /** true: recorded on a device that does no GPU work (the parameters are the same). */
  recorded: z.boolean(),
  dispatches: z.number(),
  tim_dispatches: z.number(),
  /** Dispatches by tfjs kernel (the op that ran them), most first. */
  by_kernel: z.record(z.string(), z.number()),
  programs: z.array(programRowSchema),
  conv_matmul_calls: z.number(),
  /** Convolution and matrix-product dispatches with more than LONG_SERIAL serial multiply-adds per invocation. */
  long_serial_calls: z.number(),
  /** Every convolution and matrix-product dispatch: program, invocations, serial multiply-adds per invocation. */
  conv_matmul: z.array(z.object({ program: z.string(), kernel: z.string(), invocations: z.number(), serial_multiply_adds: z.number() })),
  peak_bytes_in_use: z.number(),
  peak_bytes_allocated: z.number(),
  /** Wall-clock seconds the recorded step took (on a recording device: no GPU work). */
  step_seconds: z.number(),
  /** Shapes Tim's convolution-gradient kernels handed to the stock ones, by kernel. */
  fallbacks: z.record(z.string(), z.number()),
});
export type DispatchReport = z.infer<typeof dispatchReportSchema>;

export interface DispatchReportOptions {
  arch: string;
  imageSize: number;
  batch: number;
  microBatch?: number;
  /** Run the GPU work for real (slow on a software adapter) instead of recording it. */
  execute?: boolean;
  /** Steps before the recorded one (Adam's slots are made in the first). */
  warmup?: number;
  /** AdamW's weight decay (0 or absent: Adam). */
  weightDecay?: number;
}

interface Tally {
  records: (DispatchRecord & { kernel: string })[];
  peakUsed: number;
  peakAllocated: number;
}

/** Records every dispatch the webgpu backend makes while `run` runs, and the buffer pool's peaks. */
async function tally(run: () => Promise<void>): Promise<Tally> {
  const backend = webgpuBackendOf(tf.backend());
  const t: Tally = { records: [], peakUsed: 0, peakAllocated: 0 };
  const kernels: string[] = [];
  const unwrap = wrapKernels('webgpu', (name, inner) => (args) => {
    kernels.push(name);
    try {
      return inner(args);
    } finally {
      kernels.pop();
    }
  });
  const sample = (): void => {
    t.peakUsed = Math.max(t.peakUsed, backend.bufferManager.numBytesUsed);
    t.peakAllocated = Math.max(t.peakAllocated, backend.bufferManager.numBytesAllocated);
  };
  const stop = onDispatch((r) => {
    t.records.push({ ...r, kernel: kernels[kernels.length - 1] ?? '(outside a kernel)' });
    sample();
  });
  // Stock programs (and Tim's single-output ones) go through runWebGPUProgram.
  const original = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, inputs, dtype, uniforms, output) => {
    const result = original(program, inputs, dtype, uniforms, output);
    if (tf.util.sizeFromShape(result.shape) > 0) {
      t.records.push({ ...recordOfProgram(program, inputs, uniforms), kernel: kernels[kernels.length - 1] ?? '(outside a kernel)' });
      sample();
    }
    return result;
  };
  try {
    await run();
    sample();
  } finally {
    // The backend's own method again (the wrapper was an own property shadowing it).
    Reflect.deleteProperty(backend, 'runWebGPUProgram');
    stop();
    unwrap();
  }
  return t;
}

type Tallied = 'dispatches' | 'tim_dispatches' | 'by_kernel' | 'programs' | 'conv_matmul_calls' | 'long_serial_calls' | 'conv_matmul' | 'peak_bytes_in_use' | 'peak_bytes_allocated';

function summarise(t: Tally, base: Omit<DispatchReport, Tallied>): DispatchReport {
  const programs = new Map<string, z.infer<typeof programRowSchema>>();
  const byKernel = new Map<string, number>();
  for (const r of t.records) {
    const row = programs.get(r.program) ?? { program: r.program, tim: r.tim, dispatches: 0, invocations: 0 };
    row.dispatches++;
    row.invocations += r.invocations;
    if (r.serialMultiplyAdds !== undefined) row.max_serial_multiply_adds = Math.max(row.max_serial_multiply_adds ?? 0, r.serialMultiplyAdds);
    if (r.storageBuffers !== undefined) row.max_storage_buffers = Math.max(row.max_storage_buffers ?? 0, r.storageBuffers);
    programs.set(r.program, row);
    byKernel.set(r.kernel, (byKernel.get(r.kernel) ?? 0) + 1);
  }
  const conv = t.records
    .filter((r) => isConvOrMatmul(r.program) && r.serialMultiplyAdds !== undefined)
    .map((r) => ({ program: r.program, kernel: r.kernel, invocations: r.invocations, serial_multiply_adds: r.serialMultiplyAdds ?? 0 }));
  return {
    ...base,
    dispatches: t.records.length,
    tim_dispatches: t.records.filter((r) => r.tim).length,
    by_kernel: Object.fromEntries([...byKernel].sort((a, b) => b[1] - a[1])),
    programs: [...programs.values()].sort((a, b) => b.dispatches - a.dispatches),
    conv_matmul_calls: conv.length,
    long_serial_calls: conv.filter((c) => c.serial_multiply_adds > LONG_SERIAL).length,
    conv_matmul: conv,
    peak_bytes_in_use: t.peakUsed,
    peak_bytes_allocated: t.peakAllocated,
  };
}

/** One recorded training step (after `warmup` others) with the kernels registered now. */
export async function recordStep(opts: DispatchReportOptions, kernels: 'tim' | 'stock'): Promise<DispatchReport> {
  recordWebGpuDispatches(!opts.execute);
  await selectBackend('webgpu', { forTraining: true, quiet: true });
  const numClasses = 31;
  const microBatch = Math.min(opts.microBatch ?? opts.batch, opts.batch);
  const tm = createModel(opts.arch, { numClasses, inputSize: opts.imageSize, seed: 0 });
  const x = tf.randomNormal<tf.Rank.R4>([opts.batch, opts.imageSize, opts.imageSize, 3], 0, 1, 'float32', 1);
  const labels = tf.randomUniform<tf.Rank.R1>([opts.batch], 0, numClasses, 'int32', 2);
  const variables = tm.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = benchOptimizer(tm.model, opts.weightDecay);
  const step = async (): Promise<void> => {
    const r = batchGradients({ model: tm.model, variables, training: true, microBatch, loss: { numClasses } }, x, labels);
    optimizer.applyGradients(Object.entries(r.grads).map(([name, tensor]) => ({ name, tensor })));
    tf.dispose(Object.values(r.grads));
    await stepTotals(r.totals);
  };
  try {
    for (let i = 0; i < (opts.warmup ?? 1); i++) await step();
    const t0 = performance.now();
    const t = await tally(step);
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
    return summarise(t, {
      arch: opts.arch,
      image_size: opts.imageSize,
      batch: opts.batch,
      micro_batch: microBatch,
      kernels,
      recorded: !opts.execute,
      fallbacks: convGradientFallbacks(),
      step_seconds: seconds,
    });
  } finally {
    tf.dispose([x, labels]);
    optimizer.dispose();
    tm.model.dispose();
    releaseWebGpu();
    recordWebGpuDispatches(false);
  }
}

/**
 * The dispatch report of one training step on webgpu: with Tim's kernels and, in the same run,
 * with the stock ones (only the stock ones under TIM_WEBGPU_KERNELS=stock).
 */
export async function runDispatchReport(opts: DispatchReportOptions): Promise<DispatchReport[]> {
  const reports: DispatchReport[] = [];
  if (timWebGPUKernelsEnabled()) {
    reports.push(await recordStep(opts, 'tim'));
    useWebGPUKernels('stock');
    try {
      reports.push(await recordStep(opts, 'stock'));
    } finally {
      useWebGPUKernels('tim');
    }
  } else {
    reports.push(await recordStep(opts, 'stock'));
  }
  return reports;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const int = (n: number): string => n.toLocaleString('en-US');

/** The reports side by side as a Markdown table, then each one's programs. */
export function dispatchTable(reports: DispatchReport[]): string {
  const worst = (r: DispatchReport): string => {
    const w = [...r.conv_matmul].sort((a, b) => b.serial_multiply_adds - a.serial_multiply_adds)[0];
    return w ? `${w.program} (${w.kernel}): ${int(w.invocations)} invocations × ${int(w.serial_multiply_adds)}` : '—';
  };
  const head = `| ${reports[0]?.arch ?? ''}, ${reports[0]?.image_size ?? ''} px, batch ${reports[0]?.batch ?? ''} | ${reports.map((r) => (r.kernels === 'tim' ? "Tim's kernels" : 'stock (TIM_WEBGPU_KERNELS=stock)')).join(' | ')} |`;
  const rows: [string, (r: DispatchReport) => string][] = [
    ['GPU dispatches', (r) => int(r.dispatches)],
    ["of them Tim's programs", (r) => int(r.tim_dispatches)],
    ['convolution and matrix-product dispatches', (r) => int(r.conv_matmul_calls)],
    [`of them with > ${int(LONG_SERIAL)} serial multiply-adds per invocation`, (r) => int(r.long_serial_calls)],
    ['the longest', worst],
    ['peak bytes in use / allocated', (r) => `${mb(r.peak_bytes_in_use)} / ${mb(r.peak_bytes_allocated)}`],
    ['seconds to record the step', (r) => r.step_seconds.toFixed(1)],
    ['stock fallbacks of the convolution gradients', (r) => int(Object.values(r.fallbacks).reduce((a, b) => a + b, 0))],
  ];
  const table = [head, `| --- |${reports.map(() => ' --- |').join('')}`, ...rows.map(([label, f]) => `| ${label} | ${reports.map(f).join(' | ')} |`)];
  const programTables = reports.map((r) =>
    [
      '',
      `${r.kernels === 'tim' ? "Tim's kernels" : 'stock'}: dispatches by program`,
      '| program | Tim | dispatches | invocations | max serial multiply-adds |',
      '| --- | --- | --- | --- | --- |',
      ...r.programs.map((p) => `| ${p.program} | ${p.tim ? 'yes' : ''} | ${int(p.dispatches)} | ${int(p.invocations)} | ${p.max_serial_multiply_adds !== undefined ? int(p.max_serial_multiply_adds) : ''} |`),
    ].join('\n'),
  );
  return [...table, ...programTables].join('\n');
}
