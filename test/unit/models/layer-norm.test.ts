import * as tf from '@tensorflow/tfjs';
import { relativeError } from '../../support/relative-error';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { enableTraining, LN, layerNorm } from '@tim/tfjs-training';

/** The fused channel layer norm against the same formula written with tfjs ops, forward and backward. */

function composite(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), axis, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

beforeAll(async () => {
  expect(loadWasmForTraining()).toBe(true);
  enableTraining('cpu');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('fused layer norm', () => {
  it.each([
    { backend: 'cpu', shape: [2, 3, 4, 12] },
    { backend: 'wasm', shape: [2, 3, 4, 12] },
    { backend: 'wasm', shape: [5, 7] },
  ])('matches the composite formula and its gradients on $backend for $shape', async ({ backend, shape }) => {
    await tf.setBackend(backend);
    const c = shape[shape.length - 1] as number;
    const x = tf.randomNormal(shape, 1, 3, 'float32', 1);
    const r = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const gamma = tf.randomNormal([c], 1, 0.5, 'float32', 3);
    const beta = tf.randomNormal([c], 0, 0.5, 'float32', 4);
    const before = tf.memory().numTensors;
    const run = (f: typeof composite): Float32Array[] =>
      tf.tidy(() => {
        const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.square(f(a, g, b, 1e-6)), r));
        const { value, grads } = tf.valueAndGrads(loss)([x, gamma, beta]);
        return [f(x, gamma, beta, 1e-6), value, ...grads].map((t) => t.dataSync().slice() as Float32Array);
      });
    const fused = run(layerNorm);
    expect(tf.memory().numTensors).toBe(before);
    const reference = run(composite);
    ['y', 'loss', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => {
      expect({ name, ok: relativeError(fused[i] as Float32Array, reference[i] as Float32Array) < 1e-5 }).toEqual({ name, ok: true });
    });
    tf.dispose([x, r, gamma, beta]);
  });

  it('is the kernel a ConvNeXt layer norm runs', async () => {
    await tf.setBackend('wasm');
    const { ChannelLayerNorm } = await import('../../../src/models/layers');
    const layer = new ChannelLayerNorm({ epsilon: 1e-6 });
    const x = tf.ones([1, 2, 2, 8]);
    const names = [...(await tf.profile(() => tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync()))).kernelNames];
    expect(names).toContain(LN);
    x.dispose();
  });
});
