import { type DispatchReport, dispatchTable, LONG_SERIAL, recordStep, runDispatchReport } from '../../bench/dispatches';
import { type MemoryTable, memoryModel } from '../../src/runtime/memory';
import measured from '../../src/runtime/memory-measured.json';
import { registeredKernels, variablesPerAdamDispatch, STORAGE_BUFFERS_NEEDED } from '@tim/tfjs-training';
import { probeWebGpu } from '../../src/runtime/webgpu/backend';

jest.setTimeout(600_000);

/**
 * `tim bench train --backend webgpu --dispatches` on ResNet-50 at the smallest size it takes
 * (32 px, batch 2): one recorded step with Tim's kernels and one with the stock ones.
 */
let reports: DispatchReport[];

beforeAll(async () => {
  reports = await runDispatchReport({ arch: 'resnet50', imageSize: 32, batch: 2 });
});

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describe('the dispatch report', () => {
  it("records Tim's kernels, then the stock ones, and leaves Tim's registered", () => {
    expect(reports.map((r) => r.kernels)).toEqual(['tim', 'stock']);
    expect(reports.every((r) => r.recorded)).toBe(true);
    expect(registeredKernels('webgpu')).toContain('TimAdam');
  });

  it('counts every dispatch once, by program and by kernel', () => {
    for (const r of reports) {
      expect(sum(r.programs.map((p) => p.dispatches))).toBe(r.dispatches);
      expect(sum(Object.values(r.by_kernel))).toBe(r.dispatches);
      expect(sum(r.programs.filter((p) => p.tim).map((p) => p.dispatches))).toBe(r.tim_dispatches);
      expect(r.conv_matmul.length).toBe(r.conv_matmul_calls);
      expect(r.conv_matmul.filter((c) => c.serial_multiply_adds > LONG_SERIAL).length).toBe(r.long_serial_calls);
      expect(r.peak_bytes_in_use).toBeGreaterThan(0);
      expect(r.peak_bytes_allocated).toBeGreaterThanOrEqual(r.peak_bytes_in_use);
    }
  });

  it("Tim's step: Adam in place, as many of ResNet-50's 161 trainable tensors a dispatch as the adapter binds, no stock Adam arithmetic", async () => {
    const [tim, stock] = reports as [DispatchReport, DispatchReport];
    const limits = (await probeWebGpu()).adapter?.limits;
    expect(limits?.maxStorageBuffersPerShaderStage).toBeDefined();
    const perDispatch = variablesPerAdamDispatch(limits ?? {});
    expect(tim.programs.find((p) => p.program === 'TimAdamInPlace')?.dispatches).toBe(Math.ceil(161 / perDispatch));
    expect(tim.programs.find((p) => p.program === 'TimAdam')).toBeUndefined();
    expect(stock.tim_dispatches).toBe(0);
    expect(tim.dispatches).toBeLessThan(stock.dispatches / 3);
  });

  it("binds no more storage buffers in Tim's programs than the adapter must offer for them (Adam in place: as many as it offers)", async () => {
    const tim = (reports[0] as DispatchReport).programs.filter((p) => p.tim);
    const adam = tim.filter((p) => p.program === 'TimAdamInPlace');
    const fixed = tim.filter((p) => p.program !== 'TimAdamInPlace');
    expect(Math.max(...fixed.map((p) => p.max_storage_buffers ?? Infinity))).toBe(STORAGE_BUFFERS_NEEDED);
    const offered = (await probeWebGpu()).adapter?.limits.maxStorageBuffersPerShaderStage ?? 0;
    expect(adam[0]?.max_storage_buffers).toBeLessThanOrEqual(offered);
  });

  it("states the stock filter gradient's serial loop from the shapes: batch × out-height × out-width", () => {
    // The largest output is the 7×7/2 stem's: 32 px → 16 × 16, batch 2.
    const filter = reports[1]?.programs.find((p) => p.program === 'Conv2DDerFilterProgram');
    expect(filter?.max_serial_multiply_adds).toBe(2 * 16 * 16);
  });

  it('prints a table with both columns', () => {
    const table = dispatchTable(reports);
    expect(table).toContain("| GPU dispatches | ");
    expect(table).toContain('stock (TIM_WEBGPU_KERNELS=stock)');
  });
});

describe('GPU memory of a full-size step (recorded, 224 px)', () => {
  const MiB = 2 ** 20;
  const record = (arch: string, micro: number) => recordStep({ arch, imageSize: 224, batch: micro, microBatch: micro }, 'tim');

  it("ResNet-50 holds no more per extra image than the wasm heap's measured line, and the pool allocates within 1.25× of what is in use", async () => {
    const small = await record('resnet50', 2);
    const large = await record('resnet50', 10);
    const perImage = (large.peak_bytes_in_use - small.peak_bytes_in_use) / MiB / 8;
    const wasm = memoryModel('resnet50', 224, 'wasm');
    expect(perImage).toBeGreaterThan(0);
    expect(perImage).toBeLessThanOrEqual(wasm?.perImageMb as number);
    for (const r of [small, large]) expect(r.peak_bytes_allocated).toBeLessThanOrEqual(1.25 * r.peak_bytes_in_use);
  });

  it('the committed webgpu rows of the planner are what the recorder gives today (bench memory --backend webgpu --write)', async () => {
    const row = (measured as MemoryTable).measurements.find((r) => r.arch === 'efficientnet_b0' && r.backend === 'webgpu' && r.image_size === 224);
    const point = row?.points.find((p) => p.micro_batch === 2);
    expect(point).toBeDefined();
    const r = await record('efficientnet_b0', 2);
    expect(Math.round(r.peak_bytes_allocated / MiB)).toBe(point?.heap_mb);
  });
});
