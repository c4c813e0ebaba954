import * as tf from '@tensorflow/tfjs';
import { KernelFaultError } from '@tim/tfjs-training';
import { TimError } from '../../../src/core/errors';
import {
  bufferLimitsOf,
  isOutOfMemory,
  largestActivationBytes,
  type MemoryPlan,
  memoryModel,
  OutOfMemoryError,
  outOfMemoryMessage,
  plan,
  rethrowIfOutOfMemory,
  WASM_HEAP_LIMIT_BYTES,
  type MemoryTable,
} from '../../../src/runtime/memory';
import measured from '../../../src/runtime/memory-measured.json';

const TABLE = measured as MemoryTable;

describe('memory planning', () => {
  it.each(['resnet50', 'efficientnet_b0', 'convnext_tiny'])('plans a %s micro-batch at 224 px that was measured to fit, and no larger one known to fit', (arch) => {
    const p = plan(arch, 224, 'wasm');
    const row = TABLE.measurements.find((r) => r.arch === arch && r.image_size === 224 && r.backend === 'wasm');
    expect(p).toBeDefined();
    expect(row).toBeDefined();
    const micro = p?.microBatch as number;
    // It fits: a step of at least this many images ran without exhausting the heap, and the
    // measured line puts this many inside the planned share of it.
    const ran = (row?.points ?? []).filter((pt) => pt.heap_mb !== null && pt.heap_mb < WASM_HEAP_LIMIT_BYTES / 2 ** 20);
    expect(Math.max(...ran.map((pt) => pt.micro_batch))).toBeGreaterThanOrEqual(micro);
    expect(p?.predictedMb).toBeLessThanOrEqual(p?.budgetMb as number);
    // The next size up is not known to fit: the line puts it over the budget (or the plan is
    // already at the largest size measured), and no step of more images ran within the budget.
    const model = memoryModel(arch, 224, 'wasm');
    const next = (model?.baseMb as number) + (micro + 1) * (model?.perImageMb as number);
    expect(next > (p?.budgetMb as number) || micro === Math.max(...ran.map((pt) => pt.micro_batch))).toBe(true);
    expect(ran.filter((pt) => pt.micro_batch > micro && (pt.heap_mb as number) <= (p?.budgetMb as number))).toEqual([]);
  });

  it('fits a line through the smallest and the largest micro-batch that ran, and scales it to other sizes', () => {
    const table: MemoryTable = {
      about: 'synthetic',
      measurements: [{ arch: 'a', image_size: 100, backend: 'wasm', measured: 'today', points: [{ micro_batch: 2, heap_mb: 300 }, { micro_batch: 6, heap_mb: 720 }, { micro_batch: 10, heap_mb: 1100 }, { micro_batch: 12, heap_mb: null }] }],
    };
    const m = memoryModel('a', 100, 'wasm', table);
    expect(m?.perImageMb).toBeCloseTo(100, 10);
    expect(m?.baseMb).toBeCloseTo(100, 10);
    expect(m?.fitted).toEqual([2, 6, 10]);
    expect(m?.failed).toEqual([12]);
    expect(memoryModel('a', 200, 'wasm', table)?.perImageMb).toBeCloseTo(400, 10);
    expect(memoryModel('a', 100, 'webgpu', table)).toBeUndefined();
  });

  it('scales to other image sizes, follows a given limit, and gives none where there is no known cap', () => {
    const at224 = plan('efficientnet_b0', 224, 'wasm')?.microBatch as number;
    const at128 = plan('efficientnet_b0', 128, 'wasm')?.microBatch as number;
    expect(at128).toBeGreaterThan(at224);
    expect(plan('efficientnet_b0', 128, 'wasm')?.basis).toMatch(/scaled to 128 px/);
    const half = plan('efficientnet_b0', 224, 'wasm', { memoryBytes: WASM_HEAP_LIMIT_BYTES / 2 })?.microBatch as number;
    expect(half).toBeLessThan(at224);
    expect(half).toBeGreaterThanOrEqual(1);
    expect(plan('efficientnet_b0', 224, 'cpu')).toBeUndefined();
    expect(plan('no_such_arch', 224, 'wasm')).toBeUndefined();
  });

  it('recognises heap exhaustion and says what to lower', () => {
    expect(isOutOfMemory(new WebAssembly.RuntimeError('memory access out of bounds'))).toBe(true);
    expect(isOutOfMemory(new Error('Cannot enlarge memory arrays to size 4294967296 bytes'))).toBe(true);
    expect(isOutOfMemory(new RangeError('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemory(new Error('shapes [2,3] and [4] do not match'))).toBe(false);
    const msg = outOfMemoryMessage({ arch: 'resnet50', imageSize: 224, microBatch: 16 });
    expect(msg).toMatch(/^wasm heap exhausted .*resnet50.*; lower train\.micro_batch or data\.image_size$/);
    expect(() => rethrowIfOutOfMemory(new WebAssembly.RuntimeError('memory access out of bounds'), { arch: 'resnet50' })).toThrow(OutOfMemoryError);
    const other = new Error('unrelated');
    expect(() => rethrowIfOutOfMemory(other)).toThrow(other);
    expect(new OutOfMemoryError('x')).toBeInstanceOf(TimError);
  });

  it("passes a wasm kernel's fault on as it is, never as memory to lower", () => {
    const fault = new KernelFaultError('Conv2DBackpropFilter', new WebAssembly.RuntimeError('memory access out of bounds'), 912);
    expect(isOutOfMemory(fault)).toBe(false);
    expect(() => rethrowIfOutOfMemory(fault, { arch: 'resnet50' })).toThrow(fault);
  });
});

describe('plan on a device with a largest buffer (WebGPU limits)', () => {
  const MiB = 2 ** 20;

  it('keeps the largest tensor of a micro-batch within the smaller of maxBufferSize and maxStorageBufferBindingSize', () => {
    const perImage = 3 * MiB;
    const limits = bufferLimitsOf({ maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB, maxComputeWorkgroupSizeX: 256 }, perImage);
    expect(limits.maxBufferBytes).toBe(128 * MiB);
    const p = plan('resnet50', 224, 'webgpu', limits) as MemoryPlan;
    expect(p.microBatch).toBeGreaterThanOrEqual(1);
    expect(p.microBatch * perImage).toBeLessThanOrEqual(128 * MiB);
    // One image more would not leave the scratch headroom the plan keeps.
    expect((p.microBatch + 1) * perImage).toBeGreaterThan(128 * MiB * 0.5);
    expect(p.basis).toMatch(/largest buffer/);
  });

  it('allows a whole batch of 32 at 224 px on a GPU with ordinary limits', () => {
    const perImage = 256 * 56 * 56 * 4;
    const p = plan('resnet50', 224, 'webgpu', bufferLimitsOf({ maxBufferSize: 4 * 2 ** 30, maxStorageBufferBindingSize: 2 * 2 ** 30 }, perImage)) as MemoryPlan;
    expect(p.microBatch).toBeGreaterThanOrEqual(32);
  });

  it('gives one image when a single image exceeds the budget, and takes the stricter of heap and buffer on wasm', () => {
    expect(plan('resnet50', 224, 'webgpu', bufferLimitsOf({ maxBufferSize: MiB }, 8 * MiB))?.microBatch).toBe(1);
    const heapOnly = plan('efficientnet_b0', 224, 'wasm') as MemoryPlan;
    const tight = plan('efficientnet_b0', 224, 'wasm', { maxBufferBytes: 4 * MiB, largestTensorPerImageBytes: MiB }) as MemoryPlan;
    expect(tight.microBatch).toBe(Math.min(2, heapOnly.microBatch));
  });

  it('plans nothing on a device without buffer limits', () => {
    expect(bufferLimitsOf({}, MiB)).toEqual({});
    expect(plan('resnet50', 224, 'webgpu', bufferLimitsOf({}, MiB))).toBeUndefined();
  });
});

describe('plan on a GPU whose memory is known (WebGPU, measured figures)', () => {
  const MiB = 2 ** 20;

  it.each(['resnet50', 'efficientnet_b0', 'convnext_tiny'])('fills the planned share of an 80 GiB GPU with %s on the recorded line, past the sizes recorded', (arch) => {
    const p = plan(arch, 224, 'webgpu', { memoryBytes: 80 * 1024 * MiB, memorySource: 'nvidia-smi' }) as MemoryPlan;
    const model = memoryModel(arch, 224, 'webgpu');
    expect(model).toBeDefined();
    const line = (m: number): number => (model?.baseMb as number) + m * (model?.perImageMb as number);
    expect(p.microBatch).toBeGreaterThan(32);
    expect(line(p.microBatch)).toBeLessThanOrEqual(p.budgetMb);
    expect(line(p.microBatch + 1)).toBeGreaterThan(p.budgetMb);
    expect(p.basis).toMatch(/nvidia-smi/);
  });

  it('takes the stricter of the memory and the largest buffer', () => {
    const byMemory = plan('resnet50', 224, 'webgpu', { memoryBytes: 16 * 1024 * MiB }) as MemoryPlan;
    const both = plan('resnet50', 224, 'webgpu', { memoryBytes: 16 * 1024 * MiB, ...bufferLimitsOf({ maxBufferSize: 64 * MiB }, 3 * MiB) }) as MemoryPlan;
    expect(both.microBatch).toBe(Math.min(byMemory.microBatch, Math.floor((64 * MiB * 0.5) / (3 * MiB))));
  });
});

describe('largestActivationBytes', () => {
  it('is the largest layer output per image, in float32 bytes', () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const wide = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const narrow = tf.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }).apply(wide) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: narrow });
    expect(largestActivationBytes(model)).toBe(8 * 8 * 16 * 4);
    model.dispose();
  });
});
