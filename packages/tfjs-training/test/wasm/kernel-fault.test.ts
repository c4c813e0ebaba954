import fc from 'fast-check';
import type * as tf from '@tensorflow/tfjs';
import { classifyWasmFailure, HEAP_CAP_MB, HEAP_FULL_MB, KernelFaultError } from '../../src/wasm/kernel-fault';
import { withKernelBoundary } from '../../src/wasm/kernels';

const TRAPS = [
  () => new WebAssembly.RuntimeError('memory access out of bounds'),
  () => new WebAssembly.RuntimeError('unreachable'),
  () => new Error('Aborted(Assertion failed: index < size). Build with -sASSERTIONS for more info.'),
];
const EXHAUSTED = [() => new Error('Could not allocate 805306368 bytes on the wasm heap (4 GiB cap)'), () => new Error('Aborted(OOM)'), () => new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded')];

describe('a fault inside a wasm kernel is told apart from an exhausted heap', () => {
  it('by how full the heap was (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: HEAP_CAP_MB }), fc.integer({ min: 0, max: TRAPS.length - 1 }), fc.integer({ min: 0, max: EXHAUSTED.length - 1 }), (heap, t, x) => {
        const trap = (TRAPS[t] as () => Error)();
        expect(classifyWasmFailure(trap, heap)).toBe(heap >= HEAP_FULL_MB ? 'out-of-memory' : 'kernel-fault');
        expect(classifyWasmFailure((EXHAUSTED[x] as () => Error)(), heap)).toBe('out-of-memory');
        expect(classifyWasmFailure(new TypeError('x is not a function'), heap)).toBe('other');
      }),
    );
  });

  it('withKernelBoundary reports a trap with room left as a fault naming the kernel, and passes on one at the cap', () => {
    const failing = (make: () => Error): tf.KernelFunc => () => {
      throw make();
    };
    const args = {} as Parameters<tf.KernelFunc>[0];
    let caught: unknown;
    try {
      withKernelBoundary('Conv2DBackpropFilter', failing(TRAPS[0] as () => Error), () => 912)(args);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KernelFaultError);
    expect((caught as Error).message).toBe(
      "wasm kernel 'Conv2DBackpropFilter' faulted (memory access out of bounds) with the heap at 912 MiB of its 4096 MiB cap: " +
        'a fault in the kernel, not an exhausted heap, so a smaller train.micro_batch will not help; rerun with --backend cpu, and report it',
    );

    // The same trap with the heap at its cap is the heap running out: passed on as it was.
    let full: unknown;
    try {
      withKernelBoundary('Conv2D', failing(TRAPS[0] as () => Error), () => HEAP_CAP_MB)(args);
    } catch (e) {
      full = e;
    }
    expect(full).not.toBeInstanceOf(KernelFaultError);
    expect(full).toBeInstanceOf(WebAssembly.RuntimeError);
    // Any other error passes through as it was.
    const other = new TypeError('bad attrs');
    expect(() => withKernelBoundary('Sum', failing(() => other), () => 10)(args)).toThrow(other);
  });
});
