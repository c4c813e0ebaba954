import { type DispatchReport, dispatchTable, LONG_SERIAL, runDispatchReport } from '../../bench/dispatches';
import { registeredKernels } from '../../src/runtime/kernel-registry';
import { probeWebGpu } from '../../src/runtime/webgpu/backend';
import { variablesPerAdamDispatch } from '../../src/runtime/webgpu/kernels/adam';

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
