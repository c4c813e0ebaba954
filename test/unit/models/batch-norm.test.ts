import * as tf from '@tensorflow/tfjs';
import { relativeError } from '../../support/relative-error';
import { BatchNormalization } from '../../../src/models/layers';
import { loadWasm } from '../../../src/runtime/backend';
import { BN_TRAINING } from '../../../src/runtime/fused/batch-norm';
import { timKernelAvailable } from '../../../src/runtime/tim-kernels';

/**
 * The fused training-mode batch norm against tfjs's own composite layer on the same weights:
 * output, gradients of x, γ and β, and the moving statistics it leaves behind. 7 channels take
 * the JavaScript loops, 12 the SIMD ones on wasm.
 */

function makeLayer(fused: boolean, c: number): tf.layers.Layer {
  const args = { epsilon: 1e-5, momentum: 0.9 };
  const layer = fused ? new BatchNormalization(args) : tf.layers.batchNormalization(args);
  layer.build([null, null, null, c]);
  layer.setWeights([tf.linspace(0.5, 1.5, c), tf.linspace(-1, 1, c), tf.fill([c], 0.2), tf.fill([c], 1.3)]);
  return layer;
}

/** Loss value, dx, dγ, dβ, then moving mean and variance after the step. */
function trainingStep(layer: tf.layers.Layer, x: tf.Tensor, r: tf.Tensor): Float32Array[] {
  const [gamma, beta] = layer.trainableWeights.map((w) => w.read()) as [tf.Variable, tf.Variable];
  const f = (xx: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.square(layer.apply(xx, { training: true }) as tf.Tensor), r));
  const { value, grads } = tf.tidy(() => tf.variableGrads(() => f(x), [gamma, beta]));
  const dx = tf.tidy(() => tf.grad(f)(x));
  const out = [value, dx, grads[gamma.name] as tf.Tensor, grads[beta.name] as tf.Tensor].map((t) => t.dataSync().slice() as Float32Array);
  tf.dispose([value, dx, ...Object.values(grads)]);
  // The step above ran the layer twice, so the moving statistics moved twice in both layers.
  return [...out, ...layer.getWeights().slice(2).map((t) => t.dataSync().slice() as Float32Array)];
}

beforeAll(async () => {
  expect(await loadWasm()).toBe(true);
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('fused batch normalisation', () => {
  it.each([
    { backend: 'cpu', c: 7 },
    { backend: 'wasm', c: 7 },
    { backend: 'wasm', c: 12 },
  ])('matches the stock layer in training mode on $backend with $c channels', async ({ backend, c }) => {
    await tf.setBackend(backend);
    expect(timKernelAvailable(BN_TRAINING)).toBe(true);
    const x = tf.randomNormal([3, 5, 6, c], 2, 3, 'float32', 1);
    const r = tf.randomNormal([3, 5, 6, c], 0, 1, 'float32', 2);
    const fusedLayer = makeLayer(true, c);
    const stockLayer = makeLayer(false, c);
    const before = tf.memory().numTensors;
    const fused = trainingStep(fusedLayer, x, r);
    expect(tf.memory().numTensors).toBe(before);
    const stock = trainingStep(stockLayer, x, r);
    ['loss', 'dx', 'dgamma', 'dbeta', 'moving mean', 'moving variance'].forEach((name, i) => {
      expect({ name, error: relativeError(fused[i] as Float32Array, stock[i] as Float32Array) < 1e-5 }).toEqual({ name, error: true });
    });
    tf.dispose([x, r]);
    for (const layer of [fusedLayer, stockLayer]) layer.weights.forEach((w) => w.dispose());
  });

  it('runs the fused kernel in training mode and the stock path in inference mode', async () => {
    await tf.setBackend('wasm');
    const layer = makeLayer(true, 8);
    const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 3);
    // tfjs hands back the same profile object each time: copy the names before the next run.
    const kernelsOf = async (training: boolean): Promise<string[]> => [
      ...(await tf.profile(() => tf.tidy(() => (layer.apply(x, { training }) as tf.Tensor).dataSync()))).kernelNames,
    ];
    const training = await kernelsOf(true);
    const inference = await kernelsOf(false);
    expect(training).toContain(BN_TRAINING);
    expect(training).not.toContain('FusedBatchNorm');
    expect(inference).not.toContain(BN_TRAINING);
    expect(inference).toContain('FusedBatchNorm');
    tf.dispose(x);
    layer.weights.forEach((w) => w.dispose());
  });

  it.each([7, 12])('inference (FusedBatchNorm) on wasm matches cpu with %i channels', async (c) => {
    const run = async (backend: string): Promise<Float32Array> => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.randomNormal([2, 4, 5, c], 1, 2, 'float32', 4);
        const y = tf.batchNorm(x, tf.linspace(-1, 1, c), tf.linspace(0.5, 2, c), tf.linspace(0, 1, c), tf.linspace(1, 2, c), 1e-5);
        return y.dataSync().slice() as Float32Array;
      });
    };
    const expected = await run('cpu');
    const actual = await run('wasm');
    expect(relativeError(actual, expected)).toBeLessThan(1e-6);
  });

  it('is what a saved BatchNormalization layer loads into', async () => {
    await tf.setBackend('cpu');
    const input = tf.input({ shape: [4, 4, 8] });
    const model = tf.model({ inputs: input, outputs: tf.layers.batchNormalization({ name: 'bn' }).apply(input) as tf.SymbolicTensor });
    const json = model.toJSON(undefined, false) as string | object;
    const loaded = await tf.models.modelFromJSON((typeof json === 'string' ? JSON.parse(json) : json) as tf.io.ModelJSON);
    const layer = loaded.getLayer('bn');
    expect(layer).toBeInstanceOf(BatchNormalization);
    expect(layer.getClassName()).toBe('BatchNormalization');
    model.dispose();
    loaded.dispose();
  });
});
