import * as tf from '@tensorflow/tfjs';
import { relativeError } from '../../support/relative-error';
import { BatchNormalization } from '../../../src/models/layers';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { enableTraining, BN_TRAINING, timKernelAvailable } from '@tim/tfjs-training';
import { batchNormCases, type BatchNormCase } from '../../support/goldens/cases/torch-batchnorm';
import { loadGolden } from '../../support/goldens/golden';

/**
 * The fused training-mode batch norm against tfjs's own composite layer on the same weights:
 * output, gradients of x, γ and β, and the moving mean it leaves behind; and the moving
 * statistics of every path against PyTorch's. 7 channels take the JavaScript loops, 12 the SIMD
 * ones on wasm.
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
  expect(loadWasmForTraining()).toBe(true);
  enableTraining('cpu');
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
    // The moving variance differs by design (the stock layer follows the biased batch variance);
    // it is checked against PyTorch below.
    ['loss', 'dx', 'dgamma', 'dbeta', 'moving mean'].forEach((name, i) => {
      expect({ name, error: relativeError(fused[i] as Float32Array, stock[i] as Float32Array) < 1e-5 }).toEqual({ name, error: true });
    });
    tf.dispose([x, r]);
    for (const layer of [fusedLayer, stockLayer]) layer.weights.forEach((w) => w.dispose());
  });

  it('moves the variance by the unbiased batch variance, the mean as the stock layer does', async () => {
    await tf.setBackend('cpu');
    const x = tf.randomNormal([3, 5, 6, 7], 2, 3, 'float32', 1);
    const ours = makeLayer(true, 7);
    const stock = makeLayer(false, 7);
    for (const layer of [ours, stock]) tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    const [, , oursMean, oursVar] = ours.getWeights().map((w) => w.dataSync());
    const [, , stockMean, stockVar] = stock.getWeights().map((w) => w.dataSync());
    expect(relativeError(oursMean!, stockMean!)).toBeLessThan(1e-6);
    // moving = 0.9 · 1.3 + 0.1 · batch: the batch parts differ by n/(n − 1), n = 3·5·6.
    const n = 90;
    const batchPart = (v: ArrayLike<number>): number[] => Array.from(v, (m) => (m - 0.9 * 1.3) / 0.1);
    expect(relativeError(batchPart(oursVar!), batchPart(stockVar!).map((b) => (b * n) / (n - 1)))).toBeLessThan(1e-5);
    tf.dispose(x);
    for (const layer of [ours, stock]) layer.weights.forEach((w) => w.dispose());
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

interface TorchBatchNorm {
  running_mean: number[];
  running_var: number[];
  num_batches_tracked: number;
  y: number[];
}

/** Runs a case's passes in training mode; channels first (axis 1) takes the broadcasting path. */
function runCase(c: BatchNormCase, channelsFirst: boolean): { mean: Float32Array; variance: Float32Array; y: Float32Array } {
  const nchw = channelsFirst && c.shape.length === 4;
  const layer = new BatchNormalization({ epsilon: c.eps, momentum: 1 - c.momentum, axis: nchw ? 1 : -1 });
  const x = tf.tidy(() => (nchw ? tf.transpose(tf.tensor(c.x, c.shape), [0, 3, 1, 2]) : tf.tensor(c.x, c.shape)));
  layer.build([null, ...x.shape.slice(1)]);
  layer.setWeights([c.weight, c.bias, c.running_mean, c.running_var].map((v) => tf.tensor1d(v)));
  const before = tf.memory().numTensors;
  let y = tf.zeros([1]);
  for (let i = 0; i < c.steps; i++) {
    y.dispose();
    y = layer.apply(x, { training: true }) as tf.Tensor;
  }
  const yLast = tf.tidy(() => (nchw ? tf.transpose(y, [0, 2, 3, 1]) : y.clone()));
  y.dispose();
  expect(tf.memory().numTensors).toBe(before + 1);
  const [, , mean, variance] = layer.getWeights().map((w) => w.dataSync() as Float32Array);
  const out = { mean: mean!, variance: variance!, y: yLast.dataSync() as Float32Array };
  tf.dispose([x, yLast]);
  layer.weights.forEach((w) => w.dispose());
  return out;
}

describe('moving statistics as PyTorch’s BatchNorm2d', () => {
  const cases = batchNormCases();
  const torch = loadGolden('torch-batchnorm').json<{ cases: TorchBatchNorm[] }>('batchnorm.json').cases;

  it('the one-channel example: [1, 2, 3, 4] from variance 1 with momentum 0.1 gives 1.0667', async () => {
    await tf.setBackend('cpu');
    const { variance } = runCase(cases[0]!, false);
    expect(torch[0]!.running_var[0]).toBeCloseTo(1 + 0.1 * (5 / 3 - 1), 6);
    expect(variance[0]).toBeCloseTo(torch[0]!.running_var[0]!, 6);
  });

  async function expectTorch(backend: string, channelsFirst: boolean): Promise<void> {
    await tf.setBackend(backend);
    cases.forEach((c, i) => {
      const got = runCase(c, channelsFirst);
      const want = torch[i]!;
      const tag = `case ${i} [${c.shape.join(', ')}] ${c.steps} step(s)`;
      expect({ tag, mean: relativeError(got.mean, want.running_mean) < 1e-5 }).toEqual({ tag, mean: true });
      expect({ tag, variance: relativeError(got.variance, want.running_var) < 1e-5 }).toEqual({ tag, variance: true });
      expect({ tag, y: relativeError(got.y, want.y) < 1e-5 }).toEqual({ tag, y: true });
    });
  }

  it.each(['cpu', 'wasm'])('fused kernel on %s', async (backend) => {
    await tf.setBackend(backend);
    expect(timKernelAvailable(BN_TRAINING)).toBe(true);
    await expectTorch(backend, false);
  });

  it('composed path (channels last, no fused kernel)', async () => {
    const kernel = tf.getKernel(BN_TRAINING, 'cpu');
    if (!kernel) throw new Error('no fused batch-norm kernel on cpu');
    tf.unregisterKernel(BN_TRAINING, 'cpu');
    try {
      await tf.setBackend('cpu');
      expect(timKernelAvailable(BN_TRAINING)).toBe(false);
      await expectTorch('cpu', false);
    } finally {
      tf.registerKernel(kernel);
    }
  });

  it('composed path with broadcasting (channels first, axis 1)', async () => {
    await expectTorch('cpu', true);
  });

  it('refuses one value per channel, as PyTorch does', async () => {
    await tf.setBackend('cpu');
    const layer = new BatchNormalization({ name: 'bn1' });
    layer.build([null, 1, 1, 3]);
    const x = tf.ones([1, 1, 1, 3]);
    expect(() => layer.apply(x, { training: true })).toThrow(/bn1: BatchNorm in training mode needs more than 1 value per channel, got input shape \[1, 1, 1, 3\]/);
    tf.dispose(x);
    layer.weights.forEach((w) => w.dispose());
  });
});
