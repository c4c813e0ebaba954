import * as tf from '@tensorflow/tfjs';
import { enableTraining, adamState, ADAM } from '@tim/tfjs-training';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { FusedAdam } from '../../../src/train/optimizers';

/**
 * The fused Adam against tfjs's own on the same gradients: the float32 operations are the same,
 * in the same order, so the results must be identical to the bit. Sizes 7 (a scalar tail only),
 * 12 (SIMD only) and 13 (both) cover the wasm kernel's two paths.
 */

function train(makeOptimizer: () => tf.Optimizer, steps: number): { values: number[][]; slots: string[] } {
  const vars = [7, 12, 13].map((n, i) => tf.tidy(() => tf.variable(tf.linspace(-1, 1, n).mul(i + 1), true, `adam_test_${n}_${Math.random()}`)));
  const opt = makeOptimizer();
  for (let s = 0; s < steps; s++) {
    const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.tidy(() => tf.sin(v.mul(3 + s + i)).mul(0.1 * (s + 1))) }));
    opt.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
  const values = vars.map((v) => Array.from(v.dataSync()));
  if (!(opt instanceof tf.AdamOptimizer)) throw new Error('expected an Adam optimizer');
  const slots = adamState(opt).accumulatedFirstMoment.map((s) => (s?.originalName ?? '').replace(/_0\.\d+/, ''));
  opt.dispose();
  tf.dispose(vars);
  return { values, slots };
}

beforeAll(async () => {
  expect(loadWasmForTraining()).toBe(true);
  enableTraining('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('FusedAdam', () => {
  it.each(['cpu', 'wasm'])('gives tfjs Adam’s results to the bit on %s, and leaves no tensors behind', async (backend) => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const fused = train(() => new FusedAdam(0.01, 0.9, 0.999, 1e-8), 4);
    expect(tf.memory().numTensors).toBe(before);
    const stock = train(() => tf.train.adam(0.01, 0.9, 0.999, 1e-8), 4);
    expect(fused.values).toEqual(stock.values);
    expect(fused.slots).toEqual(stock.slots);
    expect(fused.values[0]).not.toEqual(Array.from(tf.tidy(() => tf.linspace(-1, 1, 7).dataSync())));
  });

  it('runs one kernel per variable', async () => {
    await tf.setBackend('wasm');
    const v = tf.variable(tf.ones([16]), true, `adam_profile_${Math.random()}`);
    const opt = new FusedAdam(0.01, 0.9, 0.999, 1e-8);
    const g = tf.fill([16], 0.5);
    const profile = await tf.profile(() => opt.applyGradients([{ name: v.name, tensor: g }]));
    expect(profile.kernels.filter((k) => k.name === ADAM)).toHaveLength(1);
    expect(profile.kernelNames).not.toContain('Sqrt');
    opt.dispose();
    tf.dispose([v, g]);
  });
});
