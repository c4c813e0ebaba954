import * as tf from '@tensorflow/tfjs';
import { layerNorm, LN, timKernelAvailable } from '@tim/tfjs-training/ops';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface ChannelLayerNormArgs extends LayerArgs {
  /** Added to the variance; torchvision's ConvNeXt uses 1e-6. */
  epsilon?: number;
}

/**
 * LayerNorm over the last (channel) axis of an NHWC or NC tensor, as PyTorch's LayerNorm on
 * channels-last data and torchvision's LayerNorm2d. The statistics are plain keep-dims
 * mean/variance that broadcast; tfjs's layerNormalization tiles them to the activation shape,
 * which dominates a ConvNeXt forward pass on the wasm backend.
 */
export class ChannelLayerNorm extends tf.layers.Layer {
  static className = 'ChannelLayerNorm';
  readonly epsilon: number;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  constructor(args: ChannelLayerNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-6;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (typeof channels !== 'number') throw new Error(`${this.name}: the channel dimension must be known`);
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!x || !this.gamma || !this.beta) throw new Error(`${this.name}: called before build`);
      if (x.dtype === 'float32' && timKernelAvailable(LN)) return layerNorm(x, this.gamma.read(), this.beta.read(), this.epsilon);
      const axis = x.rank - 1;
      const mean = tf.mean(x, axis, true);
      const centred = tf.sub(x, mean);
      const variance = tf.mean(tf.square(centred), axis, true);
      const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma.read()), this.beta.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(ChannelLayerNorm);
