import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** Config key is Keras's (`keras.applications.convnext.StochasticDepth`). */
export interface StochasticDepthArgs extends LayerArgs {
  /** Probability of dropping the residual branch of a sample during training. */
  drop_path_rate?: number;
  seed?: number;
}

/**
 * torchvision's StochasticDepth in "row" mode: while training, each sample's residual branch
 * is zeroed with probability p and the survivors scaled by 1/(1-p); identity otherwise.
 */
export class StochasticDepth extends tf.layers.Layer {
  static className = 'StochasticDepth';
  readonly rate: number;
  readonly seed: number | undefined;
  private calls = 0;

  constructor(args: StochasticDepthArgs = {}) {
    super(args);
    this.rate = args.drop_path_rate ?? 0;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict = {}): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!x) throw new Error(`${this.name}: no input`);
      if (kwargs.training !== true || this.rate <= 0) return tf.clone(x);
      const keep = 1 - this.rate;
      const noiseShape = [x.shape[0] ?? 1, ...x.shape.slice(1).map(() => 1)];
      const seed = this.seed === undefined ? undefined : this.seed + this.calls++;
      const mask = tf.floor(tf.add(tf.randomUniform(noiseShape, 0, 1, 'float32', seed), keep));
      return tf.mul(x, tf.div(mask, keep));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { ...super.getConfig(), drop_path_rate: this.rate };
    if (this.seed !== undefined) config.seed = this.seed;
    return config;
  }
}
tf.serialization.registerClass(StochasticDepth);
