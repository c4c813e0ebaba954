import * as tf from '@tensorflow/tfjs';
import { TimError } from '../../../src/core/errors';
import { explainLoadFailure, probeBackends, selectBackend } from '../../../src/runtime/backend';
import { wasmThreadCount } from '../../../src/runtime/wasm/threads';

const missing = (id: string): never => {
  const e = new Error(`Cannot find module '${id}'\nRequire stack:\n- x`);
  throw e;
};

describe('backend selection', () => {
  it('explains why native packages do not load', () => {
    expect(explainLoadFailure('@tensorflow/tfjs-node-gpu', new Error("Cannot find module '@tensorflow/tfjs-node-gpu'"))).toMatch(/not installed/);
    expect(explainLoadFailure('@tensorflow/tfjs-node-gpu', new Error('libcudart.so.11.0: cannot open shared object file'))).toMatch(/CUDA runtime library libcudart\.so\.11\.0 not found.*CUDA 11\.2 and cuDNN 8\.1/);
    expect(explainLoadFailure('@tensorflow/tfjs-node-gpu', new Error('libcudnn.so.8: cannot open shared object file'))).toMatch(/cuDNN library libcudnn\.so\.8/);
    expect(explainLoadFailure('@tensorflow/tfjs-node', new Error('libtensorflow.so.2: cannot open shared object file'))).toMatch(/could not download libtensorflow/);
  });

  it('forcing an unavailable backend fails with the reason', async () => {
    await expect(selectBackend('gpu', { requireFn: missing, quiet: true })).rejects.toThrow(/backend 'gpu' is unavailable: @tensorflow\/tfjs-node-gpu is not installed/);
    await expect(selectBackend('node', { requireFn: missing, quiet: true })).rejects.toThrow(/backend 'node' is unavailable/);
    const cuda = (id: string): never => {
      throw new Error(`${id}: libcudart.so.11.0: cannot open shared object file`);
    };
    await expect(selectBackend('gpu', { requireFn: cuda, quiet: true })).rejects.toThrow(/libcudart\.so\.11\.0 not found/);
  });

  it('auto falls back to a plain-tfjs backend, which trains with Tim\'s kernels', async () => {
    const probes = await probeBackends(missing);
    expect(probes.map((p) => [p.backend, p.available])).toEqual([
      ['gpu', false],
      ['node', false],
      ['wasm', true],
      ['cpu', true],
    ]);
    const inference = await selectBackend('auto', { requireFn: missing, quiet: true });
    expect(inference.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    await tf.setBackend('cpu');
    const training = await selectBackend('auto', { requireFn: missing, quiet: true, forTraining: true });
    expect(training.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(training.reason).toMatch(/can train/);
  });

  it('forcing cpu works', async () => {
    const s = await selectBackend('cpu', { requireFn: missing, quiet: true });
    expect(s.tfName).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('wasm thread count', () => {
  it('is one per core by default, capped, and TIM_WASM_THREADS when set', () => {
    expect(wasmThreadCount({}, 2)).toBe(2);
    expect(wasmThreadCount({}, 1)).toBe(1);
    expect(wasmThreadCount({}, 64)).toBe(8);
    expect(wasmThreadCount({ TIM_WASM_THREADS: '1' }, 16)).toBe(1);
    expect(wasmThreadCount({ TIM_WASM_THREADS: '3' }, 2)).toBe(3);
    expect(wasmThreadCount({ TIM_WASM_THREADS: ' ' }, 4)).toBe(4);
  });

  it('rejects a bad TIM_WASM_THREADS with a one-line error naming it', () => {
    for (const bad of ['0', '-2', '1.5', 'two']) {
      expect(() => wasmThreadCount({ TIM_WASM_THREADS: bad }, 2)).toThrow(TimError);
      expect(() => wasmThreadCount({ TIM_WASM_THREADS: bad }, 2)).toThrow(`TIM_WASM_THREADS must be a whole number of at least 1, got '${bad}'`);
    }
  });
});
