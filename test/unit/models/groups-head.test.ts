import * as tf from '@tensorflow/tfjs';
import { createModel, getArchSpec, groupVariables, layerGroups, replaceHead, resnetSpec } from '../../../src/models';
import { smallConvNeXt, smallEfficientNet } from './small-archs';

const smallResNet = resnetSpec('test_resnet_small', { layers: [1, 1, 1, 1], baseWidth: 4 });

describe('learning-rate groups', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('assigns ResNet layers as the reference did, with conv1/bn1 reported as the stem', () => {
    const spec = getArchSpec('resnet50');
    expect(['conv1', 'conv1.pad', 'bn1', 'relu', 'maxpool'].map((n) => spec.groupOfLayer(n))).toEqual(['stem', 'stem', 'stem', 'stem', 'stem']);
    expect(['layer1.0.conv1', 'layer2.3.bn3'].map((n) => spec.groupOfLayer(n))).toEqual(['early', 'early']);
    expect(['layer3.0.downsample.0', 'layer4.2.out'].map((n) => spec.groupOfLayer(n))).toEqual(['middle', 'middle']);
    expect(spec.groupOfLayer('fc')).toBe('head');
  });

  it('splits features[0:4] / features[4:] / classifier for EfficientNet and ConvNeXt', () => {
    for (const arch of ['efficientnet_b0', 'convnext_tiny']) {
      const spec = getArchSpec(arch);
      expect(['features.0.0', 'features.3.1.block.2.fc1', 'features.3.2.add'].map((n) => spec.groupOfLayer(n))).toEqual(['early', 'early', 'early']);
      expect(['features.4.0.block.0.0', 'features.8.1', 'features.10.0'].map((n) => spec.groupOfLayer(n))).toEqual(['middle', 'middle', 'middle']);
      expect(['classifier.0', 'classifier.2'].map((n) => spec.groupOfLayer(n))).toEqual(['head', 'head']);
    }
  });

  it('returns every trainable weight exactly once, in a stable order; the stem joins early or stays out', () => {
    const tm = { spec: smallResNet, model: smallResNet.build({ numClasses: 3, inputSize: 32 }), numClasses: 3 };
    const withStem = groupVariables(tm, 'early');
    const frozen = groupVariables(tm, 'frozen');
    const ids = (vs: tf.LayerVariable[]): string[] => vs.map((v) => v.name);
    const all = [...withStem.early, ...withStem.middle, ...withStem.head];
    expect(new Set(ids(all)).size).toBe(all.length);
    expect(ids(all).sort()).toEqual(ids(tm.model.trainableWeights).sort());
    expect(ids(withStem.head)).toEqual(expect.arrayContaining([expect.stringMatching(/^fc\/kernel/), expect.stringMatching(/^fc\/bias/)]));
    expect(ids(withStem.early).some((n) => n.startsWith('conv1/'))).toBe(true);
    expect(ids(frozen.early).some((n) => n.startsWith('conv1/') || n.startsWith('bn1/'))).toBe(false);
    expect(frozen.early.length).toBe(withStem.early.length - 3); // conv1 kernel, bn1 gamma and beta
    expect(ids(groupVariables(tm, 'early').middle)).toEqual(ids(withStem.middle));
    expect(layerGroups(tm).stem).toEqual(expect.arrayContaining(['conv1', 'bn1']));
    // Frozen layers contribute nothing.
    for (const l of tm.model.layers) if (tm.spec.groupOfLayer(l.name) !== 'head') l.trainable = false;
    const baseline = groupVariables(tm, 'early');
    expect(baseline.early.length + baseline.middle.length).toBe(0);
    expect(baseline.head.length).toBe(2);
    tm.model.dispose();
  });
});

describe('replaceHead', () => {
  it.each([
    ['resnet', smallResNet],
    ['efficientnet', smallEfficientNet],
    ['convnext', smallConvNeXt],
  ])('%s: gives a fresh classifier and keeps the backbone and its weights', (_family, spec) => {
    const tm = { spec, model: spec.build({ numClasses: 1000, inputSize: 32, seed: 1 }), numClasses: 1000 };
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const swapped = replaceHead(tm, 7, 3);
    expect(swapped.numClasses).toBe(7);
    expect(swapped.model.outputs[0]?.shape).toEqual([null, 7]);
    const headName = spec.headLayerNames[0]!;
    const oldHead = tm.model.getLayer(headName);
    const newHead = swapped.model.getLayer(headName);
    expect(newHead).not.toBe(oldHead);
    for (const l of swapped.model.layers) if (l.name !== headName) expect(tm.model.getLayer(l.name)).toBe(l);
    // Same features: the new logits are the old features through the new head.
    const featureModel = tf.model({ inputs: tm.model.inputs, outputs: oldHead.input });
    tf.tidy(() => {
      const feats = featureModel.predict(x) as tf.Tensor;
      const [k, b] = newHead.getWeights();
      const expected = tf.add(tf.matMul(feats, k!), b!);
      const got = swapped.model.predict(x) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]).toBeLessThan(1e-5);
    });
    // Seeded: the same seed gives the same head.
    const again = replaceHead(tm, 7, 3);
    tf.tidy(() => {
      expect(Array.from(again.model.getLayer(headName).getWeights()[0]!.dataSync())).toEqual(Array.from(newHead.getWeights()[0]!.dataSync()));
    });
    again.model.getLayer(headName).dispose();
    newHead.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tm.model.dispose();
    x.dispose();
  });

  it('rejects a non-positive class count', () => {
    const tm = createModel('tiny_cnn', { numClasses: 3, inputSize: 32 });
    expect(() => replaceHead(tm, 0)).toThrow(/positive integer/);
    tm.model.dispose();
  });
});
