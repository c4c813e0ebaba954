import * as tf from '@tensorflow/tfjs';
import { batchNormalization, ChannelLayerNorm } from './layers';
export type Initializer = ReturnType<typeof tf.initializers.zeros>;

/**
 * Building blocks shared by the model families. Layer names are torchvision module names, so
 * weight import, learning-rate groups and Grad-CAM targets all work by name.
 */
export type Sym = tf.SymbolicTensor;

/** PyTorch BatchNorm2d defaults in tfjs terms (PyTorch momentum 0.1 = tfjs momentum 0.9). */
export const TORCH_BN = { epsilon: 1e-5, momentum: 0.9 } as const;

/**
 * Hands out initialisers with distinct seeds, so that a build is a pure function of its seed.
 * With `initialize` false every weight starts at zero: drawing tens of millions of random
 * numbers is most of the cost of building a model whose weights are about to be loaded.
 */
export class SeedStream {
  private next: number;
  constructor(
    seed = 0,
    readonly initialize = true,
  ) {
    this.next = seed * 1000003 + 1;
  }
  take(): number {
    return this.next++;
  }
  /** The initialiser `make` builds from a fresh seed, or zeros when not initialising. */
  init(make: (seed: number) => Initializer): Initializer {
    const seed = this.take();
    return this.initialize ? make(seed) : tf.initializers.zeros();
  }
}

/** The NHWC RGB input, of any size unless `inputSize` fixes one. */
export function imageInput(inputSize: number | undefined): Sym {
  const side = inputSize ?? null;
  return tf.input({ shape: [side, side, 3], name: 'input' });
}

export function apply(layer: tf.layers.Layer, x: Sym | Sym[]): Sym {
  return layer.apply(x) as Sym;
}

export interface ConvOptions {
  filters: number;
  kernel: number;
  stride?: number;
  /**
   * PyTorch's symmetric padding. Stride 1 with an odd kernel padded by (k − 1) / 2 is tfjs's
   * 'same', which pads symmetrically there; anything else gets an explicit zeroPadding2d layer
   * before a 'valid' conv ('same' pads bottom/right only when strided).
   */
  padding?: number;
  bias?: boolean;
  /** Depthwise (groups == channels), as in EfficientNet and ConvNeXt. */
  depthwise?: boolean;
  init: Initializer;
}

/** A PyTorch Conv2d: optional `${name}.pad` zero padding, then the convolution named `name`. */
export function conv(x: Sym, name: string, o: ConvOptions): Sym {
  let y = x;
  const pad = o.padding ?? 0;
  const stride = o.stride ?? 1;
  // The padded copy and its gradient's crop cost a pass each over the activation, every step.
  const same = pad > 0 && stride === 1 && o.kernel % 2 === 1 && pad === (o.kernel - 1) / 2;
  if (pad > 0 && !same) y = apply(tf.layers.zeroPadding2d({ padding: pad, name: `${name}.pad` }), y);
  const common = { kernelSize: o.kernel, strides: stride, padding: same ? ('same' as const) : ('valid' as const), useBias: o.bias ?? false, name };
  const layer = o.depthwise
    ? tf.layers.depthwiseConv2d({ ...common, depthMultiplier: 1, depthwiseInitializer: o.init })
    : tf.layers.conv2d({ ...common, filters: o.filters, kernelInitializer: o.init });
  return apply(layer, y);
}

export function batchNorm(x: Sym, name: string): Sym {
  return apply(batchNormalization({ ...TORCH_BN, axis: -1, name }), x);
}

export function layerNorm(x: Sym, name: string, epsilon = 1e-6): Sym {
  return apply(new ChannelLayerNorm({ epsilon, name }), x);
}

export type ActivationKind = 'relu' | 'silu' | 'gelu' | 'sigmoid';

/** SiLU is tfjs's 'swish' (x·sigmoid(x)); GELU is tfjs's exact erf form 'gelu'. */
export function activation(x: Sym, name: string, kind: ActivationKind): Sym {
  const tfName = kind === 'silu' ? 'swish' : kind;
  return apply(tf.layers.activation({ activation: tfName, name }), x);
}

export function add(xs: Sym[], name: string): Sym {
  return apply(tf.layers.add({ name }), xs);
}

/** PyTorch nn.Linear's default initialisation: U(±1/sqrt(fan_in)) for weight and bias. */
export function torchLinearInit(fanIn: number, seeds: SeedStream): { kernel: Initializer; bias: Initializer } {
  const bound = 1 / Math.sqrt(fanIn);
  return {
    kernel: seeds.init((seed) => tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed })),
    bias: seeds.init((seed) => tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed })),
  };
}

/** Kaiming normal, fan_out mode, as torchvision initialises ResNet and EfficientNet convolutions. */
export function kaimingFanOut(seeds: SeedStream): Initializer {
  return seeds.init((seed) => tf.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal', seed }));
}

export function linear(x: Sym, name: string, units: number, init: { kernel: Initializer; bias: Initializer }): Sym {
  return apply(tf.layers.dense({ units, name, kernelInitializer: init.kernel, biasInitializer: init.bias }), x);
}
