import * as tf from '@tensorflow/tfjs';
import { createModel } from '../../../src/models';
import { CamExplainer, classTarget } from '../../../src/explain/cam';
import { camMethodNames } from '../../../src/explain/cam-methods';
import { camTargetCandidates, splitAtLayer } from '../../../src/explain/model-split';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tinyModel(numClasses = 3, inputSize = 32): tf.LayersModel {
  return createModel('tiny_cnn', { numClasses, inputSize, seed: 1 }).model;
}

describe('splitAtLayer', () => {
  it('re-applies the tail so that head(features(x)) equals the model output', () => {
    const model = tinyModel();
    const split = splitAtLayer(model, 'features.3.act');
    expect(split.headLayers).toEqual(['avgpool', 'classifier.dropout', 'classifier']);
    tf.tidy(() => {
      const x = tf.randomNormal<tf.Rank.R4>([2, 32, 32, 3], 0, 1, 'float32', 3);
      const direct = model.predict(x) as tf.Tensor;
      const viaSplit = split.head(split.features.predict(x) as tf.Tensor);
      expect(tf.max(tf.abs(tf.sub(direct, viaSplit))).dataSync()[0]).toBeLessThan(1e-5);
    });
  });

  it('lists the valid target layers when the name is unknown', () => {
    const model = tinyModel();
    expect(camTargetCandidates(model)).toContain('features.3.act');
    expect(() => splitAtLayer(model, 'no.such.layer')).toThrow(/unknown target layer.*features\.3\.act/);
  });

  it('rejects layers that are not spatial or not on a single path to the output', () => {
    const model = tinyModel();
    expect(() => splitAtLayer(model, 'avgpool')).toThrow(/not a spatial feature map/);
    const inp = tf.input({ shape: [8, 8, 3] });
    const a = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a' }).apply(inp) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'b' }).apply(a) as tf.SymbolicTensor;
    const sum = tf.layers.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(sum) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, name: 'fc' }).apply(pooled) as tf.SymbolicTensor;
    const residual = tf.model({ inputs: inp, outputs: out });
    expect(() => splitAtLayer(residual, 'b')).toThrow(/not on a single path.*sum/);
    expect(splitAtLayer(residual, 'sum').headLayers).toEqual(['pool', 'fc']);
    residual.dispose();
  });
});

describe('CamExplainer', () => {
  // Score-CAM's one forward pass per channel is slow on cpu; the motif test covers it on wasm.
  it.each(camMethodNames().filter((m) => m !== 'scorecam'))('%s gives normalised maps at the input size without leaking tensors', (method) => {
    const model = tinyModel();
    const cam = new CamExplainer(model, 'features.3.act');
    const x = tf.randomUniform<tf.Rank.R4>([2, 32, 32, 3], -1, 1, 'float32', 7);
    cam.compute(x, [0, undefined], method).maps.dispose(); // first call builds and caches
    const before = tf.memory().numTensors;
    const { maps, logits } = cam.compute(x, [0, classTarget(1)], method);
    expect(maps.shape).toEqual([2, 32, 32]);
    expect(logits.shape).toEqual([2, 3]);
    const v = maps.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    tf.dispose([maps, logits]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('Grad-CAM of a pooled linear head equals the class-weighted feature map (CAM)', () => {
    const model = tinyModel();
    const cam = new CamExplainer(model, 'features.3.act');
    tf.tidy(() => {
      const x = tf.randomUniform<tf.Rank.R4>([1, 32, 32, 3], -1, 1, 'float32', 9);
      const { maps } = cam.compute(x, [2], 'gradcam');
      // Independent route: weights of the dense layer for class 2 times the activations.
      const acts = cam.split.features.predict(x) as tf.Tensor4D;
      const w = model.getLayer('classifier').getWeights()[0] as tf.Tensor2D;
      const raw = tf.relu(tf.sum(tf.mul(acts, tf.reshape(tf.slice(w, [0, 2], [-1, 1]), [1, 1, 1, -1])), 3));
      const up = tf.squeeze(tf.image.resizeBilinear(tf.expandDims<tf.Tensor4D>(raw, 3), [32, 32], false, true));
      const ref = tf.div(tf.sub(up, tf.min(up)), tf.sub(tf.max(up), tf.min(up)));
      expect(tf.max(tf.abs(tf.sub(tf.squeeze(maps), ref))).dataSync()[0]).toBeLessThan(1e-3);
    });
  });
});
