import * as tf from '@tensorflow/tfjs';
import { imageInput, TORCH_BN } from './blocks';
import { batchNormalization } from './layers';
import type { ArchSpec, BuildOptions, LayerGroup } from './types';
import { IMAGENET_MEAN, IMAGENET_STD } from '../core/imagenet';

/**
 * A small CNN for CPU runs, tests and the quick start. Same interface and groups as the
 * ImageNet backbones: stem, two early convs, two middle convs, a pooled linear head.
 */

function convBnRelu(x: tf.SymbolicTensor, name: string, filters: number, strides: number, seed: number): tf.SymbolicTensor {
  let y = tf.layers
    .zeroPadding2d({ padding: 1, name: `${name}.pad` })
    .apply(x) as tf.SymbolicTensor;
  y = tf.layers
    .conv2d({ filters, kernelSize: 3, strides, padding: 'valid', useBias: false, name: `${name}.conv`, kernelInitializer: tf.initializers.heNormal({ seed }) })
    .apply(y) as tf.SymbolicTensor;
  y = batchNormalization({ ...TORCH_BN, name: `${name}.bn` }).apply(y) as tf.SymbolicTensor;
  return tf.layers.reLU({ name: `${name}.act` }).apply(y) as tf.SymbolicTensor;
}

function build(opts: BuildOptions): tf.LayersModel {
  const seed = opts.seed ?? 0;
  const input = imageInput(opts.inputSize);
  let x = convBnRelu(input, 'stem', 16, 2, seed + 1);
  x = convBnRelu(x, 'features.0', 24, 1, seed + 2);
  x = convBnRelu(x, 'features.1', 32, 2, seed + 3);
  x = convBnRelu(x, 'features.2', 48, 2, seed + 4);
  x = convBnRelu(x, 'features.3', 64, 1, seed + 5);
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: 0.2, name: 'classifier.dropout' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers
    .dense({ units: opts.numClasses, name: 'classifier', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 6 }) })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'tiny_cnn' });
}

function groupOfLayer(name: string): LayerGroup {
  if (name.startsWith('stem')) return 'stem';
  if (name.startsWith('features.0') || name.startsWith('features.1')) return 'early';
  if (name.startsWith('features.')) return 'middle';
  if (name.startsWith('classifier') || name === 'avgpool') return 'head';
  return 'stem';
}

export const tinyCnn: ArchSpec = {
  name: 'tiny_cnn',
  build,
  groupOfLayer,
  camTargetLayer: 'features.3.act',
  headLayerNames: ['classifier'],
  pretrained: {
    inputSize: 64,
    mean: IMAGENET_MEAN,
    std: IMAGENET_STD,
    firstConv: 'stem.conv',
    classifier: 'classifier',
    numClasses: 31,
  },
  weights: { looksLike: 'a tiny_cnn', recognisesWeights: (names) => /^stem\.conv\.weight$/m.test(names) },
};
