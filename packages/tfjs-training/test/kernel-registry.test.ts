import * as tf from '@tensorflow/tfjs';
import { registerKernels, registeredKernels, restoreStockKernels, runStockKernel, stockKernel, wrapKernels } from '../src/kernel-registry';

const BACKEND = 'registry-test';
const args = (): Parameters<tf.KernelFunc>[0] => ({ inputs: {}, backend: {}, attrs: {} });
const result = (kernelName: string): unknown => tf.getKernel(kernelName, BACKEND)?.kernelFunc(args());
const setup = (): void => undefined;

describe('kernel registry', () => {
  beforeAll(() => {
    tf.registerKernel({ kernelName: 'Stock', backendName: BACKEND, kernelFunc: () => 'stock' as unknown as tf.TensorInfo, setupFunc: setup });
  });

  it('replaces a stock kernel, keeps it (and its setup) for fallbacks, and puts it back', () => {
    registerKernels(BACKEND, { Stock: () => 'tim' as unknown as tf.TensorInfo, Added: () => 'added' as unknown as tf.TensorInfo });
    expect(result('Stock')).toBe('tim');
    expect(result('Added')).toBe('added');
    expect(tf.getKernel('Stock', BACKEND)?.setupFunc).toBe(setup);
    expect(runStockKernel('Stock', BACKEND, args())).toBe('stock');
    expect(stockKernel('Added', BACKEND)).toBeUndefined();
    expect(registeredKernels(BACKEND).sort()).toEqual(['Added', 'Stock']);

    // A second registration of a name is ignored.
    registerKernels(BACKEND, { Stock: () => 'other' as unknown as tf.TensorInfo });
    expect(result('Stock')).toBe('tim');

    restoreStockKernels(BACKEND);
    expect(result('Stock')).toBe('stock');
    expect(tf.getKernel('Added', BACKEND)).toBeUndefined();
    expect(registeredKernels(BACKEND)).toEqual([]);
  });

  it('wraps every kernel and unwraps them, while stockKernel stays unwrapped', () => {
    registerKernels(BACKEND, { Mine: () => 'mine' as unknown as tf.TensorInfo });
    const undo = wrapKernels(BACKEND, (name, inner) => (a) => `${name}:${inner(a) as unknown as string}` as unknown as tf.TensorInfo);
    expect(result('Stock')).toBe('Stock:stock');
    expect(result('Mine')).toBe('Mine:mine');
    expect(runStockKernel('Stock', BACKEND, args())).toBe('stock');
    undo();
    expect(result('Stock')).toBe('stock');
    expect(result('Mine')).toBe('mine');
    restoreStockKernels(BACKEND);
    expect(tf.getKernel('Mine', BACKEND)).toBeUndefined();
  });
});
