import * as tf from '@tensorflow/tfjs';
import { getArchSpec, loadTimModel, resnetSpec, saveTimModel, type ArchSpec } from '../../../src/models';
import { relativeError } from '../../support/relative-error';
import { tmpDir } from '../../support/tmp';
import { smallConvNeXt, smallEfficientNet } from './small-archs';

jest.setTimeout(120_000);

const smallResNet = resnetSpec('test_resnet_small', { layers: [1, 1, 1, 1], baseWidth: 8 });
const archs: ArchSpec[] = [getArchSpec('tiny_cnn'), smallResNet, smallEfficientNet, smallConvNeXt];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function logits(model: tf.LayersModel, x: tf.Tensor): Float32Array {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

describe('any input size', () => {
  it.each(archs.map((a) => [a.name, a] as const))('%s: the size-free build computes what a build for each size computes', (_name, spec) => {
    const free = spec.build({ numClasses: 5, seed: 3 });
    expect(free.inputs[0]?.shape).toEqual([null, null, null, 3]);
    const weights = free.getWeights();
    for (const size of [64, 96]) {
      const fixed = spec.build({ numClasses: 5, inputSize: size, initialize: false });
      fixed.setWeights(weights);
      const x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', size);
      const want = logits(fixed, x);
      const got = logits(free, x);
      expect(got.length).toBe(10);
      expect(relativeError(got, want)).toBeLessThan(1e-5);
      x.dispose();
      fixed.dispose();
    }
    // Not all sizes give the same logits: the pooled features depend on the picture's size.
    const small = tf.randomUniform<tf.Rank.R4>([1, 64, 64, 3], -1, 1, 'float32', 1);
    const large = tf.image.resizeBilinear(small, [96, 96]);
    expect(relativeError(logits(free, small), logits(free, large))).toBeGreaterThan(1e-4);
    tf.dispose([small, large]);
    free.dispose();
  });

  // ConvNeXt-Tiny's layers are all in test_convnext_small above; its full build takes a minute on cpu.
  it.each(['resnet50', 'efficientnet_b0'])('%s is built size-free and runs at two sizes', (arch) => {
    const model = getArchSpec(arch).build({ numClasses: 7, initialize: false });
    expect(model.inputs[0]?.shape).toEqual([null, null, null, 3]);
    for (const size of [32, 64]) {
      const y = tf.tidy(() => model.predict(tf.zeros([1, size, size, 3])) as tf.Tensor);
      expect(y.shape).toEqual([1, 7]);
      y.dispose();
    }
    model.dispose();
  });

  it('a model saved at one size loads and runs at another, as a build for that size does', async () => {
    const t = tmpDir();
    try {
      const spec = smallConvNeXt;
      const saved = spec.build({ numClasses: 4, inputSize: 64, seed: 1 });
      expect(saved.inputs[0]?.shape).toEqual([null, 64, 64, 3]);
      await saveTimModel({ spec, model: saved, numClasses: 4 }, t.dir);
      const before = tf.memory().numTensors;
      const tm = await loadTimModel(t.dir);
      expect(tm.model.inputs[0]?.shape).toEqual([null, null, null, 3]);
      const x = tf.randomNormal([1, 80, 80, 3], 0, 1, 'float32', 7);
      const at80 = spec.build({ numClasses: 4, inputSize: 80, initialize: false });
      at80.setWeights(saved.getWeights());
      expect(relativeError(logits(tm.model, x), logits(at80, x))).toBeLessThan(1e-5);
      at80.dispose();
      x.dispose();
      tm.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      saved.dispose();
    } finally {
      t.cleanup();
    }
  });
});
