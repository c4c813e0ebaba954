import * as tf from '@tensorflow/tfjs';
import { loadWasmForTraining } from '../support/wasm';
import { wasmBackendOf } from '../../src/wasm/access';
import { simdKernels } from '../../src/wasm/simd';

// Without this, the rest of the project would run the SIMD kernels again and test nothing new.
describe('with TIM_WASM_SIMD=0', () => {
  it('the wasm backend binds no SIMD kernels', async () => {
    expect(process.env.TIM_WASM_SIMD).toBe('0');
    expect(loadWasmForTraining()).toBe(true);
    await tf.setBackend('wasm');
    const backend = wasmBackendOf(tf.backend());
    expect(simdKernels(backend)).toBeNull();
    await tf.setBackend('cpu');
  });
});
