import * as tf from '@tensorflow/tfjs';
import { activation, add, apply, imageInput, batchNorm, conv, kaimingFanOut, linear, SeedStream, type Sym } from './blocks';
import { StochasticDepth } from './layers';
import { IMAGENET_MEAN, IMAGENET_STD } from '../core/imagenet';
import type { ArchSpec, BuildOptions, LayerGroup, PretrainedConfig, WeightFamily } from './types';

/**
 * EfficientNet (v1) as torchvision builds it: MBConv blocks with squeeze-and-excitation, SiLU,
 * BatchNorm eps 1e-5, stochastic depth growing linearly over the blocks, dropout before the
 * classifier. Names: features.0.0 (stem conv), features.S.B.block.K..., features.8.0,
 * classifier.1.
 */
export interface MBConvStage {
  expand: number;
  kernel: number;
  stride: number;
  out: number;
  repeats: number;
}

export interface EfficientNetConfig {
  stemChannels: number;
  stages: readonly MBConvStage[];
  headChannels: number;
  dropout: number;
  stochasticDepth: number;
}

/** One MBConv block; `sdProb` is its stochastic-depth probability. */
function mbconv(x: Sym, name: string, inC: number, st: MBConvStage, stride: number, sdProb: number, seeds: SeedStream): Sym {
  const expanded = inC * st.expand;
  let y = x;
  let k = 0;
  const part = (): string => `${name}.block.${k++}`;
  if (st.expand !== 1) {
    const p = part();
    y = conv(y, `${p}.0`, { filters: expanded, kernel: 1, init: kaimingFanOut(seeds) });
    y = batchNorm(y, `${p}.1`);
    y = activation(y, `${p}.2`, 'silu');
  }
  {
    const p = part();
    y = conv(y, `${p}.0`, { filters: expanded, kernel: st.kernel, stride, padding: (st.kernel - 1) >> 1, depthwise: true, init: kaimingFanOut(seeds) });
    y = batchNorm(y, `${p}.1`);
    y = activation(y, `${p}.2`, 'silu');
  }
  {
    // Squeeze-and-excitation; torchvision squeezes to a quarter of the block's input channels.
    const p = part();
    const squeeze = Math.max(1, Math.floor(inC / 4));
    let s = apply(tf.layers.globalAveragePooling2d({ name: `${p}.avgpool` }), y);
    s = apply(tf.layers.reshape({ targetShape: [1, 1, expanded], name: `${p}.reshape` }), s);
    s = conv(s, `${p}.fc1`, { filters: squeeze, kernel: 1, bias: true, init: kaimingFanOut(seeds) });
    s = activation(s, `${p}.activation`, 'silu');
    s = conv(s, `${p}.fc2`, { filters: expanded, kernel: 1, bias: true, init: kaimingFanOut(seeds) });
    s = activation(s, `${p}.scale_activation`, 'sigmoid');
    y = apply(tf.layers.multiply({ name: `${p}.scale` }), [y, s]);
  }
  {
    const p = part();
    y = conv(y, `${p}.0`, { filters: st.out, kernel: 1, init: kaimingFanOut(seeds) });
    y = batchNorm(y, `${p}.1`);
  }
  if (stride === 1 && inC === st.out) {
    y = apply(new StochasticDepth({ drop_path_rate: sdProb, name: `${name}.stochastic_depth` }), y);
    y = add([y, x], `${name}.add`);
  }
  return y;
}

export function buildEfficientNet(cfg: EfficientNetConfig, name: string, opts: BuildOptions): tf.LayersModel {
  const seeds = new SeedStream(opts.seed ?? 0, opts.initialize ?? true);
  const input = imageInput(opts.inputSize);
  let x = conv(input, 'features.0.0', { filters: cfg.stemChannels, kernel: 3, stride: 2, padding: 1, init: kaimingFanOut(seeds) });
  x = batchNorm(x, 'features.0.1');
  x = activation(x, 'features.0.2', 'silu');
  const totalBlocks = cfg.stages.reduce((n, s) => n + s.repeats, 0);
  let blockId = 0;
  let inC = cfg.stemChannels;
  cfg.stages.forEach((st, i) => {
    for (let b = 0; b < st.repeats; b++) {
      const sdProb = (cfg.stochasticDepth * blockId) / totalBlocks;
      x = mbconv(x, `features.${i + 1}.${b}`, inC, st, b === 0 ? st.stride : 1, sdProb, seeds);
      inC = st.out;
      blockId++;
    }
  });
  const last = `features.${cfg.stages.length + 1}`;
  x = conv(x, `${last}.0`, { filters: cfg.headChannels, kernel: 1, init: kaimingFanOut(seeds) });
  x = batchNorm(x, `${last}.1`);
  x = activation(x, `${last}.2`, 'silu');
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  x = apply(tf.layers.dropout({ rate: cfg.dropout, name: 'classifier.0' }), x);
  const bound = 1 / Math.sqrt(opts.numClasses);
  const logits = linear(x, 'classifier.1', opts.numClasses, {
    kernel: seeds.init((seed) => tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed })),
    bias: tf.initializers.zeros(),
  });
  return tf.model({ inputs: input, outputs: logits, name });
}

/** Reference groups: features[0:4] early, features[4:] middle, classifier head. */
export function featuresGroupOfLayer(layerName: string): LayerGroup {
  const [top, index] = layerName.split('.');
  if (top === 'features') return Number(index) < 4 ? 'early' : 'middle';
  if (top === 'classifier' || top === 'avgpool') return 'head';
  return 'stem';
}

/**
 * timm's efficientnet_b0 names to torchvision's: conv_stem/bn1 -> features.0, blocks.S.B ->
 * features.S+1.B, conv_head/bn2 -> features.8, classifier -> classifier.1. Inside a block the
 * torchvision index depends on whether the block expands (timm's first stage does not).
 */
export function efficientnetFromTimm(cfg: EfficientNetConfig): (key: string) => string | undefined {
  const last = cfg.stages.length + 1;
  const top: Record<string, string> = {
    conv_stem: 'features.0.0',
    bn1: 'features.0.1',
    conv_head: `features.${last}.0`,
    bn2: `features.${last}.1`,
    classifier: 'classifier.1',
  };
  const expanding: Record<string, string> = {
    conv_pw: 'block.0.0', bn1: 'block.0.1', conv_dw: 'block.1.0', bn2: 'block.1.1',
    'se.conv_reduce': 'block.2.fc1', 'se.conv_expand': 'block.2.fc2', conv_pwl: 'block.3.0', bn3: 'block.3.1',
  };
  const separable: Record<string, string> = {
    conv_dw: 'block.0.0', bn1: 'block.0.1', 'se.conv_reduce': 'block.1.fc1', 'se.conv_expand': 'block.1.fc2',
    conv_pw: 'block.2.0', bn2: 'block.2.1',
  };
  return (key) => {
    const m = /^blocks\.(\d+)\.(\d+)\.(.+)\.([a-z_]+)$/.exec(key);
    if (m) {
      // Every group of the pattern takes part in a match, so the defaults never apply.
      const [, s = '', b = '', module = '', param = ''] = m;
      const stage = cfg.stages[Number(s)];
      if (!stage) return undefined;
      const table = stage.expand === 1 ? separable : expanding;
      const mapped = table[module];
      return mapped === undefined ? undefined : `features.${Number(s) + 1}.${b}.${mapped}.${param}`;
    }
    const t = /^([a-z_0-9]+)\.([a-z_]+)$/.exec(key);
    if (t) {
      const mapped = top[t[1] ?? ''];
      return mapped === undefined ? undefined : `${mapped}.${t[2] ?? ''}`;
    }
    return undefined;
  };
}

const EFFICIENTNET_PRETRAINED: PretrainedConfig = {
  inputSize: 224,
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
  firstConv: 'features.0.0',
  classifier: 'classifier.1',
  numClasses: 1000,
};

/** Keras's EfficientNetB0 pads and normalises as TensorFlow does, so its weights do not carry over. */
const KERAS_EFFICIENTNET_B0: WeightFamily = {
  looksLike: "Keras's EfficientNetB0 (TensorFlow 'same' padding and BatchNorm eps 1e-3, unlike torchvision's; use torchvision or timm weights)",
  recognisesWeights: (names) => /^(.*\/)?stem_conv[./](kernel|weight)$/m.test(names) && /block1a_dwconv/.test(names),
};

export function efficientnetSpec(name: string, cfg: EfficientNetConfig): ArchSpec {
  return {
    name,
    build: (opts) => buildEfficientNet(cfg, name, opts),
    groupOfLayer: featuresGroupOfLayer,
    camTargetLayer: `features.${cfg.stages.length + 1}.2`,
    headLayerNames: ['classifier.1'],
    pretrained: EFFICIENTNET_PRETRAINED,
    timmToTorchvision: efficientnetFromTimm(cfg),
    weights: {
      looksLike: `an EfficientNet (${name})`,
      // torchvision's names, or timm's.
      recognisesWeights: (names) => /^features\.\d+\.\d+\.block\.\d+\.\d+\.weight$/m.test(names) || /^conv_stem\.weight$/m.test(names),
    },
    foreignWeights: [KERAS_EFFICIENTNET_B0],
  };
}

/** EfficientNet-B0: width and depth multipliers 1.0, 224 px, dropout 0.2. */
export const EFFICIENTNET_B0: EfficientNetConfig = {
  stemChannels: 32,
  stages: [
    { expand: 1, kernel: 3, stride: 1, out: 16, repeats: 1 },
    { expand: 6, kernel: 3, stride: 2, out: 24, repeats: 2 },
    { expand: 6, kernel: 5, stride: 2, out: 40, repeats: 2 },
    { expand: 6, kernel: 3, stride: 2, out: 80, repeats: 3 },
    { expand: 6, kernel: 5, stride: 1, out: 112, repeats: 3 },
    { expand: 6, kernel: 5, stride: 2, out: 192, repeats: 4 },
    { expand: 6, kernel: 3, stride: 1, out: 320, repeats: 1 },
  ],
  headChannels: 1280,
  dropout: 0.2,
  stochasticDepth: 0.2,
};

export const efficientnetB0 = efficientnetSpec('efficientnet_b0', EFFICIENTNET_B0);
