import * as tf from '@tensorflow/tfjs';
import { archNames, countParameters, createModel, getArchSpec } from '../../../src/models';
import { TimError } from '../../../src/core/errors';

describe('model registry', () => {
  it('lists the four architectures', () => {
    expect(archNames()).toEqual(expect.arrayContaining(['convnext_tiny', 'efficientnet_b0', 'resnet50', 'tiny_cnn']));
  });

  it('names the valid architectures for an unknown one, and suggests a near miss', () => {
    expect(() => getArchSpec('vgg16')).toThrow(TimError);
    expect(() => getArchSpec('vgg16')).toThrow(/resnet50.*tiny_cnn|tiny_cnn.*resnet50/);
    expect(() => createModel('resnet5', { numClasses: 3 })).toThrow(/did you mean 'resnet50'/);
  });
});

describe('torchvision-exact structure', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // Counts from torchvision 0.14 with the 1000-class head (models.resnet50() etc.).
  const expected: Array<[string, number, string[]]> = [
    ['resnet50', 25_557_032, ['conv1', 'bn1', 'layer1.0.conv1', 'layer1.0.downsample.0', 'layer3.5.bn3', 'layer4.2.conv3', 'fc']],
    ['efficientnet_b0', 5_288_548, ['features.0.0', 'features.1.0.block.0.0', 'features.3.1.block.2.fc1', 'features.7.0.block.3.1', 'features.8.0', 'classifier.1']],
    ['convnext_tiny', 28_589_128, ['features.0.0', 'features.0.1', 'features.1.0.block.0', 'features.5.8.layer_scale', 'features.6.1', 'classifier.0', 'classifier.2']],
  ];

  // Random initialisation of tens of millions of weights is slow; counts and names do not need it.
  it.each(expected)('%s has torchvision’s parameter count, module names and layer settings', (arch, count, names) => {
    const before = tf.memory().numTensors;
    const tm = createModel(arch, { numClasses: 1000, inputSize: 64, initialize: false });
    expect(countParameters(tm.model)).toBe(count);
    const layerNames = new Set(tm.model.layers.map((l) => l.name));
    for (const n of names) expect(layerNames).toContain(n);
    expect(layerNames).toContain(tm.spec.camTargetLayer);
    for (const h of tm.spec.headLayerNames) expect(layerNames).toContain(h);
    checks[arch]?.(tm.model);
    tm.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

const checks: Record<string, (m: tf.LayersModel) => void> = {
  resnet50: (m) => {
    // PyTorch pads symmetrically: explicit zero padding, then a 'valid' convolution.
    expect(m.getLayer('conv1').getConfig().padding).toBe('valid');
    expect(m.getLayer('conv1.pad').getConfig().padding).toEqual([[3, 3], [3, 3]]);
    expect(m.getLayer('layer2.0.conv2.pad').getConfig().padding).toEqual([[1, 1], [1, 1]]);
    expect(m.getLayer('layer2.0.conv2').getConfig().strides).toEqual([2, 2]);
    expect(m.getLayer('layer2.0.conv1').getConfig().strides).toEqual([1, 1]);
    expect(m.getLayer('layer2.1.conv2').getConfig()).toMatchObject({ padding: 'same', strides: [1, 1] });
    expect(m.getLayer('bn1').getConfig()).toMatchObject({ epsilon: 1e-5, momentum: 0.9 });
    expect(m.getLayer('maxpool').outputShape).toEqual([null, 16, 16, 64]);
  },
  efficientnet_b0: (m) => {
    expect(m.getLayer('features.0.2').getConfig().activation).toBe('swish');
    expect(m.getLayer('features.1.0.block.0.0').getClassName()).toBe('DepthwiseConv2D');
    expect(m.getLayer('features.2.0.block.1.0.pad').getConfig().padding).toEqual([[1, 1], [1, 1]]);
    expect(m.getLayer('features.3.0.block.1.0.pad').getConfig().padding).toEqual([[2, 2], [2, 2]]);
    expect(m.getLayer('features.8.1').getConfig()).toMatchObject({ epsilon: 1e-5, momentum: 0.9 });
    expect(m.getLayer('classifier.0').getConfig().rate).toBe(0.2);
    // torchvision: 0.2 * block_id / 16 blocks; features.6.3 is block 14.
    expect(m.getLayer('features.6.3.stochastic_depth').getConfig().drop_path_rate).toBeCloseTo((0.2 * 14) / 16, 10);
    expect(m.getLayer('features.3.1.block.2.fc1').outputShape).toEqual([null, 1, 1, 10]); // a quarter of the block's 40 input channels
  },
  convnext_tiny: (m) => {
    expect(m.getLayer('features.1.0.block.2').getConfig().epsilon).toBe(1e-6);
    expect(m.getLayer('classifier.0').getConfig().epsilon).toBe(1e-6);
    expect(m.getLayer('features.1.0.block.4').getConfig().activation).toBe('gelu');
    // Stride 1, kernel 7, padding 3: tfjs's 'same' pads 3 on every side, as PyTorch does.
    expect(m.getLayer('features.1.0.block.0').getConfig()).toMatchObject({ padding: 'same', kernelSize: [7, 7], strides: [1, 1] });
    expect(m.layers.some((l) => l.name === 'features.1.0.block.0.pad')).toBe(false);
    expect(m.getLayer('features.1.0.stochastic_depth').getConfig().drop_path_rate).toBe(0);
    expect(m.getLayer('features.7.2.stochastic_depth').getConfig().drop_path_rate).toBeCloseTo(0.1, 10);
    expect(m.getLayer('features.1.0.layer_scale').getConfig().init_values).toBe(1e-6);
  },
};
