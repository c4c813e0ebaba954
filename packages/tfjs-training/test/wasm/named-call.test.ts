import { wasmBackendOf } from '../../src/wasm/access';
import { instantiate } from '../../src/wasm/simd';
import { KERNEL_NAMES, KERNEL_SIGNATURES } from '../../src/wasm/simd/kernels-signatures';
import { namedKernels, positionalArgs, positionalKernels, type PositionalKernels } from '../../src/wasm/simd/named-call';

/** Stand-ins for every export, each recording the arguments it was called with. */
function recordingExports(): { exports: Record<string, (...args: number[]) => void>; calls: [string, number[]][] } {
  const calls: [string, number[]][] = [];
  const exports: Record<string, (...args: number[]) => void> = {};
  for (const name of KERNEL_NAMES) {
    const fn = (...args: number[]): void => void calls.push([name, args]);
    // A function's length is its declared parameter count, which positionalKernels checks.
    exports[name] = Object.defineProperty(fn, 'length', { value: KERNEL_SIGNATURES[name].length });
  }
  return { exports, calls };
}

describe('named wasm kernel calls', () => {
  it('pass named arguments in the order the export declares them', () => {
    const { exports, calls } = recordingExports();
    const kernels = namedKernels(positionalKernels(exports));
    kernels.pack_b({ n: 5, k: 4, packed_ptr: 3, ldb: 2, b_ptr: 1 });
    kernels.adam({
      w_ptr: 1, m_ptr: 2, v_ptr: 3, g_ptr: 4, w_out_ptr: 5, m_out_ptr: 6, v_out_ptr: 7, count: 8,
      b1: 0.9, c1: 0.1, b2: 0.999, c2: 0.001, d1: 0.5, d2: 0.25, epsilon: 1e-7, neg_lr: -0.01,
    });
    expect(calls).toEqual([
      ['pack_b', [1, 2, 3, 4, 5]],
      ['adam', [1, 2, 3, 4, 5, 6, 7, 8, 0.9, 0.1, 0.999, 0.001, 0.5, 0.25, 1e-7, -0.01]],
    ]);
  });

  it('turn a pool call into its positional arguments, and refuse a missing one', () => {
    expect(positionalArgs({ name: 'transpose', params: { cols: 8, rows: 4, dst_ptr: 64, src_ptr: 32 } })).toEqual([32, 64, 4, 8]);
    const incomplete = { src_ptr: 32, dst_ptr: 64, rows: 4 } as { src_ptr: number; dst_ptr: number; rows: number; cols: number };
    expect(() => positionalArgs({ name: 'transpose', params: incomplete })).toThrow('wasm kernel transpose: argument cols is undefined, expected a number');
  });

  it('refuse exports that disagree with the generated signatures', () => {
    const { exports } = recordingExports();
    const { gemm: _gemm, ...withoutGemm } = exports;
    expect(() => positionalKernels(withoutGemm)).toThrow('export "gemm" is not a function of 11 arguments');
    expect(() => positionalKernels({ ...exports, erf: (x: number) => x })).toThrow('export "erf" is not a function of 3 arguments');
  });

  it('bind to every export of the compiled module', () => {
    const bound = instantiate(new WebAssembly.Memory({ initial: 1 }), false);
    expect(bound).not.toBeNull();
    const positional: PositionalKernels = (bound as NonNullable<typeof bound>).positional;
    expect(Object.keys(positional).sort()).toEqual([...KERNEL_NAMES].sort());
  });
});

describe('wasmBackendOf', () => {
  it('names what a backend object lacks', () => {
    expect(() => wasmBackendOf({ makeOutput: () => undefined, wasm: {} })).toThrow(
      "not the tfjs wasm backend Tim's kernels expect: missing disposeData, incRef, typedArrayFromHeap, getMemoryOffset, wasm._malloc, wasm._free",
    );
    expect(() => wasmBackendOf(undefined)).toThrow('missing the backend itself');
  });

  it('accepts an object with the fields the kernels use', () => {
    const fn = (): number => 0;
    const backend = { makeOutput: fn, disposeData: fn, incRef: fn, typedArrayFromHeap: fn, getMemoryOffset: fn, wasm: { _malloc: fn, _free: fn } };
    expect(wasmBackendOf(backend)).toBe(backend);
    expect(wasmBackendOf(backend)).toBe(backend);
  });
});

describe('cpuBackendOf', () => {
  it('says what a backend object lacks, and passes the cpu backend through', async () => {
    const { cpuBackendOf } = await import('../../src/cpu/access');
    expect(() => cpuBackendOf({ makeTensorInfo: () => undefined })).toThrow("not the tfjs cpu backend Tim's kernels expect: it needs data.get and makeTensorInfo");
    const backend = { makeTensorInfo: () => undefined, data: { get: () => undefined } };
    expect(cpuBackendOf(backend)).toBe(backend);
  });
});
