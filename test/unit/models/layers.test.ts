import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ChannelLayerNorm, LayerScale, loadTimModel, saveTimModel, StochasticDepth } from '../../../src/models';
import { tmpDir } from '../../support/tmp';
import { smallConvNeXt, smallEfficientNet } from './small-archs';

describe('custom layers', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('ChannelLayerNorm normalises over channels with PyTorch’s formula', () => {
    const layer = new ChannelLayerNorm({ epsilon: 1e-6 });
    const x = tf.randomNormal([2, 3, 3, 5], 2, 3, 'float32', 1);
    layer.apply(x);
    layer.setWeights([tf.tensor1d([1, 2, 3, 4, 5]), tf.tensor1d([0.5, 0, -0.5, 1, 0])]);
    const before = tf.memory().numTensors;
    const y = layer.apply(x) as tf.Tensor;
    const data = x.arraySync() as number[][][][];
    const got = y.arraySync() as number[][][][];
    const v = data[1]![2]![0]!;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    const want = v.map((e, i) => ((e - mean) / Math.sqrt(variance + 1e-6)) * [1, 2, 3, 4, 5][i]! + [0.5, 0, -0.5, 1, 0][i]!);
    got[1]![2]![0]!.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 4));
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('StochasticDepth drops whole samples only while training, scaling survivors by 1/(1-p)', () => {
    const layer = new StochasticDepth({ drop_path_rate: 0.5, seed: 11 });
    const x = tf.ones([64, 2, 2, 3]);
    const before = tf.memory().numTensors;
    const inference = layer.apply(x) as tf.Tensor;
    expect(Array.from(inference.dataSync()).every((v) => v === 1)).toBe(true);
    const training = layer.apply(x, { training: true }) as tf.Tensor;
    const perSample = (training.arraySync() as number[][][][]).map((s) => [...new Set(s.flat(2))]);
    for (const values of perSample) expect(values.length === 1 && (values[0] === 0 || values[0] === 2)).toBe(true);
    const dropped = perSample.filter((v) => v[0] === 0).length;
    expect(dropped).toBeGreaterThan(10);
    expect(dropped).toBeLessThan(54);
    tf.dispose([inference, training]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('reads Keras’s LayerScale and StochasticDepth configs', () => {
    const registered = (className: string, config: tf.serialization.ConfigDict): unknown => {
      const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
      if (!entry) throw new Error(`${className} is not registered`);
      return entry[1](entry[0], config);
    };
    const ls = registered('LayerScale', { name: 'k_layer_scale', init_values: 1e-6, projection_dim: 4 });
    expect(ls).toBeInstanceOf(LayerScale);
    expect((ls as LayerScale).projectionDim).toBe(4);
    const sd = registered('StochasticDepth', { name: 'k_sd', drop_path_rate: 0.3 });
    expect((sd as StochasticDepth).rate).toBe(0.3);
  });

  it.each([
    ['ConvNeXt (LayerScale, StochasticDepth, ChannelLayerNorm)', smallConvNeXt],
    ['EfficientNet (squeeze-excitation, StochasticDepth)', smallEfficientNet],
  ])('%s survives a save/load round trip with identical outputs', async (_what, spec) => {
    const t = tmpDir();
    try {
      const model = spec.build({ numClasses: 4, inputSize: 32, seed: 2 });
      // Non-trivial layer scales, so that a lost weight shows in the outputs.
      for (const l of model.layers) if (l instanceof LayerScale) l.setWeights(l.getWeights().map((w) => tf.tidy(() => tf.randomUniform(w.shape, 0.5, 1.5))));
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 9);
      const dir = path.join(t.dir, 'm');
      await saveTimModel({ spec, model, numClasses: 4 }, dir, { metadata: { note: 'kept' } });
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).userDefinedMetadata;
      expect(meta).toEqual({ note: 'kept', arch: spec.name, numClasses: 4 });
      const before = tf.memory().numTensors;
      const loaded = await loadTimModel(dir);
      expect(loaded.spec).toBe(spec);
      expect(loaded.numClasses).toBe(4);
      expect(loaded.model.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.getClassName()));
      const a = model.predict(x) as tf.Tensor;
      const b = loaded.model.predict(x) as tf.Tensor;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
      loaded.model.dispose();
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
      x.dispose();
    } finally {
      t.cleanup();
    }
  });

  it.each([
    ['ConvNeXt', smallConvNeXt, 32],
    ['EfficientNet', smallEfficientNet, 16],
  ] as const)('%s trains: finite gradients reach every trainable weight; dropout and stochastic depth act only in training', (_what, spec, size) => {
    const model = spec.build({ numClasses: 3, inputSize: size, seed: 4 });
    const x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.mean<tf.Scalar>(tf.square(logits));
    }, model.trainableWeights.map((w) => w.read() as tf.Variable));
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Object.keys(grads).length).toBe(model.trainableWeights.length);
    for (const g of Object.values(grads)) expect(Number.isFinite(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!))).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    // Inference is deterministic; training mode is not (dropout or dropped residual branches).
    tf.tidy(() => {
      const a = (model.predict(x) as tf.Tensor).dataSync();
      const b = (model.predict(x) as tf.Tensor).dataSync();
      expect(Array.from(b)).toEqual(Array.from(a));
      const outs = [0, 1, 2, 3, 4].map(() => Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync()));
      expect(outs.some((o) => o.some((v, i) => Math.abs(v - a[i]!) > 1e-6))).toBe(true);
    });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    x.dispose();
  });

  it('loadTimModel names a folder without Tim metadata', async () => {
    const t = tmpDir();
    try {
      fs.writeFileSync(path.join(t.dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
      await expect(loadTimModel(t.dir)).rejects.toThrow(/no 'arch'/);
    } finally {
      t.cleanup();
    }
  });
});
