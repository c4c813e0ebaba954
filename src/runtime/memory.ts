import { TimError } from '../core/errors';

/** The wasm backend's heap is a 32-bit WebAssembly memory: it cannot grow past 4 GiB. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30;

/** Share of the heap a training step may plan to use; the rest absorbs fragmentation and kernel scratch. */
const HEAP_BUDGET_SHARE = 0.6;

const MB = 2 ** 20;

interface ArchMemory {
  /** Trainable parameters: weights, their gradients and two Adam slots stay resident (16 bytes each). */
  params: number;
  /**
   * Tensor memory of the forward and backward pass per image at 224 px, MB: the activations
   * kept for the backward pass plus the gradients in flight. Measured on the wasm backend with
   * tf.profile (peakBytes of one training step) at two batch sizes, at 64 px (EfficientNet-B0)
   * and 128 px (ResNet-50, ConvNeXt-Tiny), and scaled by pixel count. tfjs keeps every
   * intermediate of its batch-norm, layer-norm and activation gradients, several times what
   * PyTorch keeps.
   */
  trainMbPerImage224: number;
}

const ARCH_MEMORY: Record<string, ArchMemory> = {
  tiny_cnn: { params: 0.1e6, trainMbPerImage224: 40 },
  resnet50: { params: 25.6e6, trainMbPerImage224: 1050 },
  // tf.profile saw 310 MB, but a real 224 px run with micro-batches of 7 once overflowed the
  // heap (the allocator fragments). With the fused batch-norm and Adam kernels, micro-batches of
  // 3 peak at 1.7 GB resident and of 8 still fit; the figure stays on the safe side, because an
  // exhausted heap costs the whole run.
  efficientnet_b0: { params: 5.3e6, trainMbPerImage224: 700 },
  convnext_tiny: { params: 28.6e6, trainMbPerImage224: 1700 },
};

/** Bytes one training step of `batch` images needs, or undefined for an architecture without figures. */
export function estimateTrainingBytes(arch: string, imageSize: number, batch: number): number | undefined {
  const m = ARCH_MEMORY[arch];
  if (!m) return undefined;
  const resident = m.params * 4 * 4;
  const perImage = m.trainMbPerImage224 * MB * (imageSize / 224) ** 2;
  return resident + perImage * batch;
}

/**
 * The largest micro-batch whose training step fits the backend's memory, for gradient
 * accumulation when `train.micro_batch` is left out. Only the wasm backend has a hard cap
 * (4 GiB); for the others, and for architectures without measured figures, undefined
 * (no splitting).
 */
export function suggestMicroBatch(arch: string, imageSize: number, backend: string): number | undefined {
  if (backend !== 'wasm') return undefined;
  const m = ARCH_MEMORY[arch];
  if (!m) return undefined;
  const budget = WASM_HEAP_LIMIT_BYTES * HEAP_BUDGET_SHARE - m.params * 4 * 4;
  const perImage = m.trainMbPerImage224 * MB * (imageSize / 224) ** 2;
  return Math.max(1, Math.floor(budget / perImage));
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
