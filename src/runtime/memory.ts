import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import measuredTable from './memory-measured.json';
import { KernelFaultError } from '@tim/tfjs-training';
import type { MemoryPoint, MemoryTable } from './memory-table';

/** The wasm backend's heap is a 32-bit WebAssembly memory: it cannot grow past 4 GiB. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30;

const MB = 2 ** 20;

export type { MemoryMeasurement, MemoryPoint, MemoryTable } from './memory-table';

/**
 * The committed measurements (`memory-measured.json`) the planner reads, checked by the compiler
 * against the table's type (the import is typed from the file's contents), so the planner needs
 * no schema at run time: it also runs in the exported page. Regenerate rows with
 * `npm run bench -- memory --arch ARCH --image-size 224 --micro-batch 2 8 N --write`.
 */
const TABLE: MemoryTable = measuredTable;

/**
 * Share of the memory limit a plan may fill. The measured high-water marks already include the
 * allocator's fragmentation and kernel scratch, but a real run alternates training and
 * validation shapes and fragments the heap further: two epochs of ConvNeXt-Tiny at its planned
 * micro-batch peaked 170 MB above the two-step measurement (`bench epoch`).
 */
const PLAN_SHARE = 0.85;

/**
 * Backends whose measurements are recorded rather than observed: on webgpu, the buffer pool's
 * peak over a step recorded without GPU work (`bench memory --backend webgpu`).
 */
const RECORDED_BACKENDS = new Set(['webgpu']);

/** Memory a training step needs: fixed (weights, gradients, Adam slots, scratch) plus per image. */
export interface MemoryModel {
  baseMb: number;
  perImageMb: number;
  /** Micro-batch sizes measured at this image size that ran, and that exhausted the memory. */
  fitted: number[];
  failed: number[];
  /** Where the figures come from. */
  basis: string;
}

/** A straight line through the smallest and the largest micro-batch that ran. */
function lineOf(points: MemoryPoint[]): { baseMb: number; perImageMb: number } | undefined {
  const ok = points.filter((p): p is { micro_batch: number; heap_mb: number } => p.heap_mb !== null).sort((a, b) => a.micro_batch - b.micro_batch);
  const lo = ok[0];
  const hi = ok[ok.length - 1];
  if (!lo || !hi || hi.micro_batch === lo.micro_batch) return undefined;
  const perImageMb = (hi.heap_mb - lo.heap_mb) / (hi.micro_batch - lo.micro_batch);
  return { baseMb: lo.heap_mb - lo.micro_batch * perImageMb, perImageMb };
}

/**
 * The measured memory model of an architecture on a backend at an image size: measured there,
 * else scaled from the nearest measured size (activations grow with the pixel count).
 */
export function memoryModel(arch: string, imageSize: number, backend: string, table: MemoryTable = TABLE): MemoryModel | undefined {
  const rows = table.measurements.filter((r) => r.arch === arch && r.backend === backend && lineOf(r.points));
  const row = rows.slice().sort((a, b) => Math.abs(a.image_size - imageSize) - Math.abs(b.image_size - imageSize))[0];
  const line = row ? lineOf(row.points) : undefined;
  if (!row || !line) return undefined;
  const same = row.image_size === imageSize;
  const scale = (imageSize / row.image_size) ** 2;
  return {
    baseMb: line.baseMb,
    perImageMb: line.perImageMb * scale,
    fitted: same ? row.points.filter((p) => p.heap_mb !== null).map((p) => p.micro_batch) : [],
    failed: same ? row.points.filter((p) => p.heap_mb === null).map((p) => p.micro_batch) : [],
    basis: `measured ${row.measured} at ${row.image_size} px${same ? '' : `, scaled to ${imageSize} px`}`,
  };
}

/** What a backend can hold; the wasm heap's cap when not given. */
export interface MemoryLimits {
  /** All the memory a step may use; the wasm heap's cap when left out on wasm. */
  memoryBytes?: number;
  /** Where memoryBytes comes from, for the plan's basis (e.g. 'nvidia-smi'). */
  memorySource?: string;
  /**
   * The largest single tensor the device can hold: on WebGPU the smaller of the device's
   * `maxBufferSize` and `maxStorageBufferBindingSize` (every tensor is one storage buffer).
   */
  maxBufferBytes?: number;
  /** Bytes of the largest tensor one image makes in a training step (see `largestActivationBytes`). */
  largestTensorPerImageBytes?: number;
}

/** The WebGPU device limits that bound a single tensor, as `MemoryLimits`. */
export function bufferLimitsOf(deviceLimits: Record<string, number>, largestTensorPerImageBytes: number): MemoryLimits {
  const sizes = [deviceLimits.maxBufferSize, deviceLimits.maxStorageBufferBindingSize].filter((v): v is number => typeof v === 'number' && v > 0);
  return sizes.length > 0 ? { maxBufferBytes: Math.min(...sizes), largestTensorPerImageBytes } : {};
}

const isShapeList = (s: tf.Shape | tf.Shape[]): s is tf.Shape[] => Array.isArray(s[0]);

/**
 * Bytes per image of the largest layer output of a model: the activations (and their
 * gradients, of the same shape) are the largest tensors of a training step.
 */
export function largestActivationBytes(model: tf.LayersModel): number {
  const sizeOf = (shape: (number | null)[]): number => shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1);
  const shapes = model.layers.flatMap((l): (number | null)[][] => {
    const out = l.outputShape;
    return isShapeList(out) ? out : [out];
  });
  return Math.max(...shapes.map(sizeOf), ...model.inputs.map((i) => sizeOf(i.shape))) * 4;
}

/**
 * Share of the device's largest buffer one activation may fill: a kernel's scratch (a pooling
 * argmax, a transposed copy) can be a little larger than the layer output it works on.
 */
const BUFFER_SHARE = 0.5;

export interface MemoryPlan {
  /** The largest micro-batch the plan expects to fit. */
  microBatch: number;
  /** What a step of that micro-batch needs, and what the plan allows, MB. */
  predictedMb: number;
  budgetMb: number;
  basis: string;
}

function limitOf(backend: string, limits?: MemoryLimits): number | undefined {
  if (limits?.memoryBytes !== undefined) return limits.memoryBytes;
  return backend === 'wasm' ? WASM_HEAP_LIMIT_BYTES : undefined;
}

/** The micro-batch whose largest tensor fits the device's largest buffer; undefined without both figures. */
function bufferPlan(limits?: MemoryLimits): MemoryPlan | undefined {
  const max = limits?.maxBufferBytes;
  const perImage = limits?.largestTensorPerImageBytes;
  if (max === undefined || perImage === undefined || !(perImage > 0)) return undefined;
  const budget = max * BUFFER_SHARE;
  const microBatch = Math.max(1, Math.floor(budget / perImage));
  return {
    microBatch,
    predictedMb: Math.round((microBatch * perImage) / MB),
    budgetMb: Math.round(budget / MB),
    basis: `largest tensor ${Math.round(perImage / 1024)} KiB per image against the device's largest buffer of ${Math.round(max / MB)} MB`,
  };
}

/**
 * The largest micro-batch whose training step fits the backend's memory, for gradient
 * accumulation when `train.micro_batch` is left out; undefined (no splitting) for a backend
 * without a known limit or an architecture without measurements there. With a device's
 * largest buffer (WebGPU), no tensor of the step may exceed it either.
 */
export function plan(arch: string, imageSize: number, backend: string, limits?: MemoryLimits): MemoryPlan | undefined {
  const byBuffer = bufferPlan(limits);
  const limit = limitOf(backend, limits);
  const model = memoryModel(arch, imageSize, backend);
  if (limit === undefined || !model) return byBuffer;
  const budgetMb = (limit / MB) * PLAN_SHARE;
  let micro = Math.max(1, Math.floor((budgetMb - model.baseMb) / model.perImageMb));
  // Never past what was seen to run at this size, nor up to what was seen to fail. Recorded
  // figures are exact (every buffer's size follows from the shapes), so they extrapolate.
  if (model.fitted.length > 0 && !RECORDED_BACKENDS.has(backend)) micro = Math.min(micro, Math.max(...model.fitted));
  const firstFailure = Math.min(...model.failed);
  if (micro >= firstFailure) micro = Math.max(1, firstFailure - 1);
  const source = limits?.memorySource ? `, ${Math.round(limit / MB)} MB from ${limits.memorySource}` : '';
  const byMemory = { microBatch: micro, predictedMb: Math.round(model.baseMb + micro * model.perImageMb), budgetMb: Math.round(budgetMb), basis: `${model.basis}${source}` };
  return byBuffer && byBuffer.microBatch < byMemory.microBatch ? byBuffer : byMemory;
}

const OOM_PATTERNS = [
  /memory access out of bounds/i,
  /Cannot enlarge memory/i,
  /Aborted\(OOM\)/i,
  /\bout of memory\b/i,
  /WebAssembly\.Memory\.grow/i,
  /Array buffer allocation failed/i,
  /Could not allocate/i,
];

/** Whether an error is the wasm heap (or the JavaScript heap) running out. */
export function isOutOfMemory(err: unknown): boolean {
  if (err instanceof OutOfMemoryError) return true;
  if (err instanceof KernelFaultError) return false;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return OOM_PATTERNS.some((p) => p.test(text));
}

export class OutOfMemoryError extends TimError {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
}

/** The one-line message a training run stops with when the heap is exhausted. */
export function outOfMemoryMessage(ctx: { arch?: string; imageSize?: number; microBatch?: number; backend?: string } = {}): string {
  const where = [
    ctx.arch ? `arch ${ctx.arch}` : undefined,
    ctx.imageSize ? `image_size ${ctx.imageSize}` : undefined,
    ctx.microBatch ? `micro-batch ${ctx.microBatch}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const heap = ctx.backend === undefined || ctx.backend === 'wasm' ? 'wasm heap exhausted (4 GiB cap)' : 'memory exhausted';
  return `${heap}${where ? ` at ${where}` : ''}; lower train.micro_batch or data.image_size`;
}

/** Turns an out-of-memory failure into an OutOfMemoryError with that message; rethrows anything else. */
export function rethrowIfOutOfMemory(err: unknown, ctx: Parameters<typeof outOfMemoryMessage>[0] = {}): never {
  if (isOutOfMemory(err) && !(err instanceof OutOfMemoryError)) throw new OutOfMemoryError(outOfMemoryMessage(ctx));
  throw err;
}
