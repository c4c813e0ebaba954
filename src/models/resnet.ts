import * as tf from '@tensorflow/tfjs';
import { activation, add, apply, imageInput, batchNorm, conv, kaimingFanOut, linear, SeedStream, torchLinearInit, type Sym } from './blocks';
import type { ArchSpec, BuildOptions, LayerGroup, PretrainedConfig, WeightFamily } from './types';
import { IMAGENET_MEAN, IMAGENET_STD } from '../core/imagenet';

/**
 * ResNet (torchvision v1.5: the stride sits on the 3×3 convolution of a bottleneck).
 * Layer names are torchvision's: conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, fc, ...
 */
export interface ResNetConfig {
  /** Bottleneck blocks per stage. */
  layers: readonly [number, number, number, number];
  /** Width of the first stage's bottleneck; later stages double it. */
  baseWidth: number;
}

const EXPANSION = 4;

function bottleneck(x: Sym, name: string, width: number, stride: number, downsample: boolean, seeds: SeedStream): Sym {
  let y = conv(x, `${name}.conv1`, { filters: width, kernel: 1, init: kaimingFanOut(seeds) });
  y = batchNorm(y, `${name}.bn1`);
  y = activation(y, `${name}.relu1`, 'relu');
  y = conv(y, `${name}.conv2`, { filters: width, kernel: 3, stride, padding: 1, init: kaimingFanOut(seeds) });
  y = batchNorm(y, `${name}.bn2`);
  y = activation(y, `${name}.relu2`, 'relu');
  y = conv(y, `${name}.conv3`, { filters: width * EXPANSION, kernel: 1, init: kaimingFanOut(seeds) });
  y = batchNorm(y, `${name}.bn3`);
  let identity = x;
  if (downsample) {
    identity = conv(x, `${name}.downsample.0`, { filters: width * EXPANSION, kernel: 1, stride, init: kaimingFanOut(seeds) });
    identity = batchNorm(identity, `${name}.downsample.1`);
  }
  y = add([y, identity], `${name}.add`);
  return activation(y, `${name}.out`, 'relu');
}

export function buildResNet(cfg: ResNetConfig, name: string, opts: BuildOptions): tf.LayersModel {
  const seeds = new SeedStream(opts.seed ?? 0, opts.initialize ?? true);
  const input = imageInput(opts.inputSize);
  let x = conv(input, 'conv1', { filters: 64, kernel: 7, stride: 2, padding: 3, init: kaimingFanOut(seeds) });
  x = batchNorm(x, 'bn1');
  x = activation(x, 'relu', 'relu');
  // Zero padding equals PyTorch's -inf padding here: the input is a ReLU output, never negative.
  x = apply(tf.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }), x);
  x = apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }), x);
  let inChannels = 64;
  cfg.layers.forEach((blocks, stage) => {
    const width = cfg.baseWidth * 2 ** stage;
    const stride = stage === 0 ? 1 : 2;
    for (let b = 0; b < blocks; b++) {
      const s = b === 0 ? stride : 1;
      const downsample = b === 0 && (s !== 1 || inChannels !== width * EXPANSION);
      x = bottleneck(x, `layer${stage + 1}.${b}`, width, s, downsample, seeds);
      inChannels = width * EXPANSION;
    }
  });
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  const logits = linear(x, 'fc', opts.numClasses, torchLinearInit(inChannels, seeds));
  return tf.model({ inputs: input, outputs: logits, name });
}

/** Reference groups: layer1-2 early, layer3-4 middle, fc head; conv1/bn1 are the stem. */
export function resnetGroupOfLayer(layerName: string): LayerGroup {
  const top = layerName.split('.')[0] ?? '';
  if (top === 'layer1' || top === 'layer2') return 'early';
  if (top === 'layer3' || top === 'layer4') return 'middle';
  if (top === 'fc' || top === 'avgpool') return 'head';
  return 'stem';
}

/** timm's ResNet uses torchvision's parameter names, so its checkpoints need no renaming. */
export function resnetFromTimm(key: string): string {
  return key;
}

const RESNET_PRETRAINED: PretrainedConfig = {
  inputSize: 224,
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
  firstConv: 'conv1',
  classifier: 'fc',
  numClasses: 1000,
};

/** Keras's ResNet50 is ResNet v1, so its weights do not fit torchvision's layers. */
const KERAS_RESNET50: WeightFamily = {
  looksLike: "Keras's ResNet50 (ResNet v1: the stride sits on the first 1x1 convolution and convolutions have biases, unlike torchvision's)",
  recognisesWeights: (names) => /^(.*\/)?conv1_conv[./](kernel|weight)$/m.test(names),
};

export function resnetSpec(name: string, cfg: ResNetConfig): ArchSpec {
  const lastStage = `layer4.${cfg.layers[3] - 1}`;
  return {
    name,
    build: (opts) => buildResNet(cfg, name, opts),
    groupOfLayer: resnetGroupOfLayer,
    camTargetLayer: `${lastStage}.out`,
    headLayerNames: ['fc'],
    pretrained: RESNET_PRETRAINED,
    timmToTorchvision: resnetFromTimm,
    weights: { looksLike: `a ResNet (${name})`, recognisesWeights: (names) => /^layer1\.0\.conv3\.weight$/m.test(names) },
    foreignWeights: [KERAS_RESNET50],
  };
}

export const resnet50 = resnetSpec('resnet50', { layers: [3, 4, 6, 3], baseWidth: 64 });
