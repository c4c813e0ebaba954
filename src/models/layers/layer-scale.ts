import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Config keys are Keras's (`keras.applications.convnext.LayerScale`), so converted Keras models load too. */
export interface LayerScaleArgs extends LayerArgs {
  /** Initial value of every per-channel scale (torchvision: 1e-6). */
  init_values?: number;
  /** Number of channels; taken from the input when omitted. */
  projection_dim?: number;
}

/** Multiplies each channel by a learned scale (ConvNeXt's layer_scale / timm's gamma). */
export class LayerScale extends tf.layers.Layer {
  static className = 'LayerScale';
  readonly initValues: number;
  readonly projectionDim: number | undefined;
  private gamma: tf.LayerVariable | null = null;

  constructor(args: LayerScaleArgs = {}) {
    super(args);
    this.initValues = args.init_values ?? 1e-6;
    this.projectionDim = args.projection_dim;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = this.projectionDim ?? shape[shape.length - 1];
    if (typeof channels !== 'number') throw new Error(`${this.name}: the channel dimension must be known`);
    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.constant({ value: this.initValues }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!x || !this.gamma) throw new Error(`${this.name}: called before build`);
      return tf.mul(x, this.gamma.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), init_values: this.initValues };
    if (this.projectionDim !== undefined) config.projection_dim = this.projectionDim;
    return config;
  }
}
tf.serialization.registerClass(LayerScale);
