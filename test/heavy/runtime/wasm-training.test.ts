import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../../src/models';
import { selectBackend } from '../../../src/runtime/backend';

/**
 * The full-size backbones train on the wasm backend that `auto` picks without native
 * TensorFlow: Adam steps run with finite losses, move every trainable weight, and leak nothing.
 * (Each gradient kernel is checked against the cpu backend in test/unit/runtime.)
 */

const ARCHS = ['efficientnet_b0', 'resnet50', 'convnext_tiny'];

beforeAll(async () => {
  const pick = await selectBackend('auto', { forTraining: true, quiet: true, requireFn: (id: string) => {
    throw new Error(`Cannot find module '${id}'`);
  } });
  expect(pick.backend).toBe('wasm');
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(ARCHS)('%s', (arch) => {
  it('trains on wasm: finite losses, every weight updated, no tensor leaks', () => {
    const size = 64;
    const tm = createModel(arch, { numClasses: 4, inputSize: size, seed: 5 });
    const optimizer = tf.train.adam(1e-3);
    const x = tf.tidy(() => tf.sin(tf.range(0, 4 * size * size * 3).reshape([4, size, size, 3]).mul(0.37)));
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4));
    const initial = tm.model.trainableWeights.map((w) => w.read().dataSync().slice());
    const losses: number[] = [];
    let afterFirst = 0;
    for (let i = 0; i < 3; i++) {
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, tm.model.apply(x, { training: true }) as tf.Tensor), true);
      losses.push((loss as tf.Scalar).dataSync()[0] as number);
      loss?.dispose();
      if (i === 0) afterFirst = tf.memory().numTensors;
    }
    const afterSteps = tf.memory().numTensors;
    const moved = tm.model.trainableWeights.filter((w, i) => {
      const now = w.read().dataSync();
      const was = initial[i] as ArrayLike<number>;
      return Array.from(now).some((v, j) => v !== was[j]);
    }).length;
    optimizer.dispose();
    tm.model.dispose();
    x.dispose();
    y.dispose();
    expect(losses.every(Number.isFinite)).toBe(true);
    // A missing or broken gradient kernel throws or leaves weights untouched.
    expect(moved).toBe(initial.length);
    // Steps after the first keep no new tensors (the optimizer's slots exist from step one).
    expect(afterSteps).toBe(afterFirst);
  }, 600_000);
});
