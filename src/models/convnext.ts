import * as tf from '@tensorflow/tfjs';
import { activation, add, apply, imageInput, conv, layerNorm, linear, SeedStream, type Initializer, type Sym } from './blocks';
import { featuresGroupOfLayer } from './efficientnet';
import { LayerScale, StochasticDepth } from './layers';
import { IMAGENET_MEAN, IMAGENET_STD } from '../core/imagenet';
import type { ArchSpec, BuildOptions, PretrainedConfig } from './types';
import { splitTfWeightName, TF_PARAM_TO_TORCH } from './weights/keras-tfjs';

/**
 * ConvNeXt as torchvision builds it. Channels-last throughout, so torchvision's two Permute
 * modules (block.1, block.6) have no layer; LayerNorm eps 1e-6, exact GELU, layer scale 1e-6,
 * stochastic depth growing linearly to its maximum on the last block. Names: features.0.0
 * (stem conv), features.0.1 (stem norm), features.2k+1.B.block.{0,2,3,5}, features.2k.{0,1}
 * (downsampling norm and conv), classifier.0 (norm), classifier.2 (linear).
 */
export interface ConvNeXtConfig {
  depths: readonly number[];
  dims: readonly number[];
  stochasticDepth: number;
  layerScale: number;
}

const EPS = 1e-6;

function truncNormal(seeds: SeedStream): Initializer {
  return seeds.init((seed) => tf.initializers.truncatedNormal({ stddev: 0.02, seed }));
}

function cnBlock(x: Sym, name: string, dim: number, sdProb: number, cfg: ConvNeXtConfig, seeds: SeedStream): Sym {
  let y = conv(x, `${name}.block.0`, { filters: dim, kernel: 7, padding: 3, depthwise: true, bias: true, init: truncNormal(seeds) });
  y = layerNorm(y, `${name}.block.2`, EPS);
  y = linear(y, `${name}.block.3`, 4 * dim, { kernel: truncNormal(seeds), bias: tf.initializers.zeros() });
  y = activation(y, `${name}.block.4`, 'gelu');
  y = linear(y, `${name}.block.5`, dim, { kernel: truncNormal(seeds), bias: tf.initializers.zeros() });
  y = apply(new LayerScale({ init_values: cfg.layerScale, projection_dim: dim, name: `${name}.layer_scale` }), y);
  y = apply(new StochasticDepth({ drop_path_rate: sdProb, name: `${name}.stochastic_depth` }), y);
  return add([y, x], `${name}.add`);
}

export function buildConvNeXt(cfg: ConvNeXtConfig, name: string, opts: BuildOptions): tf.LayersModel {
  const seeds = new SeedStream(opts.seed ?? 0, opts.initialize ?? true);
  const input = imageInput(opts.inputSize);
  const dim0 = cfg.dims[0] ?? 96;
  let x = conv(input, 'features.0.0', { filters: dim0, kernel: 4, stride: 4, bias: true, init: truncNormal(seeds) });
  x = layerNorm(x, 'features.0.1', EPS);
  const total = cfg.depths.reduce((a, b) => a + b, 0);
  let blockId = 0;
  cfg.depths.forEach((depth, i) => {
    const dim = cfg.dims[i] ?? dim0;
    if (i > 0) {
      const ds = `features.${2 * i}`;
      x = layerNorm(x, `${ds}.0`, EPS);
      x = conv(x, `${ds}.1`, { filters: dim, kernel: 2, stride: 2, bias: true, init: truncNormal(seeds) });
    }
    for (let b = 0; b < depth; b++) {
      const sdProb = total > 1 ? (cfg.stochasticDepth * blockId) / (total - 1) : 0;
      x = cnBlock(x, `features.${2 * i + 1}.${b}`, dim, sdProb, cfg, seeds);
      blockId++;
    }
  });
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  x = layerNorm(x, 'classifier.0', EPS);
  const logits = linear(x, 'classifier.2', opts.numClasses, { kernel: truncNormal(seeds), bias: tf.initializers.zeros() });
  return tf.model({ inputs: input, outputs: logits, name });
}

/**
 * timm's convnext names to torchvision's: stem.{0,1} -> features.0.{0,1}; stages.S.blocks.B
 * -> features.2S+1.B with conv_dw/norm/mlp.fc1/mlp.fc2/gamma -> block.0/block.2/block.3/
 * block.5/layer_scale; stages.S.downsample.{0,1} -> features.2S.{0,1}; head.norm -> classifier.0,
 * head.fc -> classifier.2.
 */
export function convnextFromTimm(key: string): string | undefined {
  let m = /^stem\.([01])\.(weight|bias)$/.exec(key);
  if (m) return `features.0.${m[1] ?? ''}.${m[2] ?? ''}`;
  m = /^stages\.(\d+)\.downsample\.([01])\.(weight|bias)$/.exec(key);
  if (m) return `features.${2 * Number(m[1])}.${m[2] ?? ''}.${m[3] ?? ''}`;
  m = /^stages\.(\d+)\.blocks\.(\d+)\.(.+)$/.exec(key);
  if (m) {
    const prefix = `features.${2 * Number(m[1]) + 1}.${m[2] ?? ''}`;
    const rest = m[3] ?? '';
    if (rest === 'gamma') return `${prefix}.layer_scale`;
    const parts: Record<string, string> = { conv_dw: 'block.0', norm: 'block.2', 'mlp.fc1': 'block.3', 'mlp.fc2': 'block.5' };
    const p = /^(.+)\.(weight|bias)$/.exec(rest);
    const mapped = p ? parts[p[1] ?? ''] : undefined;
    return mapped === undefined || !p ? undefined : `${prefix}.${mapped}.${p[2] ?? ''}`;
  }
  m = /^head\.(norm|fc)\.(weight|bias)$/.exec(key);
  if (m) return `classifier.${m[1] === 'norm' ? 0 : 2}.${m[2] ?? ''}`;
  return undefined;
}

/**
 * keras.applications.ConvNeXtTiny weights (as tensorflowjs_converter names them) to torchvision
 * keys. Keras's layer names: `<model>_stem_conv`/`_stem_layernorm`, `<model>_downsampling_
 * layernorm_i`/`_conv_i` (before stage i+1), `<model>_stage_S_block_B_{depthwise_conv,
 * layernorm,pointwise_conv_1,pointwise_conv_2,layer_scale}`, `<model>_head_layernorm`,
 * `<model>_head_dense`. Its preprocessing Normalization layer has no torchvision counterpart:
 * Tim's models take input already normalised with the ImageNet mean/std.
 */
export function convnextFromKeras(weightName: string): string | null | undefined {
  const { layer, param } = splitTfWeightName(weightName);
  if (/_prestem_normalization$/.test(layer)) return null;
  const torchParam = TF_PARAM_TO_TORCH[param];
  let m = /_stage_(\d+)_block_(\d+)_(depthwise_conv|layernorm|pointwise_conv_1|pointwise_conv_2|layer_scale)$/.exec(layer);
  if (m) {
    const prefix = `features.${2 * Number(m[1]) + 1}.${m[2] ?? ''}`;
    if (m[3] === 'layer_scale') return `${prefix}.layer_scale`;
    const part = { depthwise_conv: 'block.0', layernorm: 'block.2', pointwise_conv_1: 'block.3', pointwise_conv_2: 'block.5' }[m[3] ?? 'layernorm'];
    return torchParam === undefined ? undefined : `${prefix}.${part}.${torchParam}`;
  }
  if (torchParam === undefined) return undefined;
  m = /_downsampling_(layernorm|conv)_(\d+)$/.exec(layer);
  if (m) return `features.${2 * (Number(m[2]) + 1)}.${m[1] === 'layernorm' ? 0 : 1}.${torchParam}`;
  m = /_(stem_conv|stem_layernorm|head_layernorm|head_dense)$/.exec(layer);
  if (m) return `${{ stem_conv: 'features.0.0', stem_layernorm: 'features.0.1', head_layernorm: 'classifier.0', head_dense: 'classifier.2' }[m[1] ?? 'stem_conv']}.${torchParam}`;
  return undefined;
}

const CONVNEXT_PRETRAINED: PretrainedConfig = {
  inputSize: 224,
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
  firstConv: 'features.0.0',
  classifier: 'classifier.2',
  numClasses: 1000,
};

export function convnextSpec(name: string, cfg: ConvNeXtConfig): ArchSpec {
  const lastStage = 2 * cfg.depths.length - 1;
  const lastBlock = (cfg.depths[cfg.depths.length - 1] ?? 1) - 1;
  return {
    name,
    build: (opts) => buildConvNeXt(cfg, name, opts),
    groupOfLayer: featuresGroupOfLayer,
    camTargetLayer: `features.${lastStage}.${lastBlock}.add`,
    headLayerNames: ['classifier.2'],
    pretrained: CONVNEXT_PRETRAINED,
    timmToTorchvision: convnextFromTimm,
    kerasToTorchvision: convnextFromKeras,
    weights: {
      looksLike: `a ConvNeXt (${name})`,
      // torchvision's names, timm's, or Keras's (which Tim converts).
      recognisesWeights: (names) =>
        /^features\.\d+\.\d+\.layer_scale$/m.test(names) || /^stages\.\d+\.blocks\.\d+\.gamma$/m.test(names) || /_stage_\d+_block_\d+_depthwise_conv\//m.test(names),
    },
  };
}

export const CONVNEXT_TINY: ConvNeXtConfig = { depths: [3, 3, 9, 3], dims: [96, 192, 384, 768], stochasticDepth: 0.1, layerScale: 1e-6 };

export const convnextTiny = convnextSpec('convnext_tiny', CONVNEXT_TINY);
