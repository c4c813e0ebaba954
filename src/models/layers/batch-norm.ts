import * as tf from '@tensorflow/tfjs';
import { TimError } from '../../core/errors';
import { batchNormState, stockLayerClass, batchNormTraining, BN_TRAINING, timKernelAvailable } from '@tim/tfjs-training/ops';

type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;

const StockBatchNormalization = stockLayerClass<BatchNormArgs>('BatchNormalization');

/**
 * tfjs's BatchNormalization trained as PyTorch's BatchNorm2d: the same normalisation and
 * gradients, on one fused kernel (and gradient) where the backend has it, but the moving variance
 * follows the *unbiased* batch variance (n/(n − 1), n values per channel), as PyTorch's
 * running_var does, where the stock layer uses the biased one. It is registered under the stock
 * class name, so saved models load into it.
 */
export class BatchNormalization extends StockBatchNormalization {
  static className = 'BatchNormalization';

  constructor(args: BatchNormArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || x === undefined) return super.call(inputs, kwargs);
    const self = batchNormState(this);
    const axis = self.axis < 0 ? self.axis + x.rank : self.axis;
    const perChannel = x.size / (x.shape[axis] ?? 1);
    if (perChannel < 2) {
      throw new TimError(`${this.name}: BatchNorm in training mode needs more than 1 value per channel, got input shape [${x.shape.join(', ')}]; use a larger batch or image size`);
    }
    return tf.tidy(() => {
      const gamma = self.gamma?.read();
      const beta = self.beta?.read();
      const fusable = axis === x.rank - 1 && x.dtype === 'float32' && gamma !== undefined && beta !== undefined && timKernelAvailable(BN_TRAINING);
      if (fusable) {
        const moving = { mean: self.movingMean.read(), variance: self.movingVariance.read() };
        const r = batchNormTraining(x, gamma, beta, moving, { epsilon: self.epsilon, momentum: self.momentum, count: perChannel });
        self.movingMean.write(r.movingMean);
        self.movingVariance.write(r.movingVariance);
        return r.y;
      }
      const [y, mean, variance] = composedTraining(x, axis, gamma, beta, self.epsilon);
      // PyTorch's momentum 0.1 is tfjs's 0.9: moving = moving − (moving − batch) · (1 − momentum).
      for (const [moving, batch] of [
        [self.movingMean, mean],
        [self.movingVariance, tf.mul(variance, perChannel / (perChannel - 1))],
      ] as const) {
        tf.tidy(() => {
          const prev = moving.read();
          moving.write(tf.sub(prev, tf.mul(tf.sub(prev, batch), 1 - self.momentum)));
        });
      }
      return y;
    });
  }
}

/** Training-mode normalisation composed of tfjs ops: y, the batch mean and the biased batch variance. */
function composedTraining(x: tf.Tensor, axis: number, gamma: tf.Tensor | undefined, beta: tf.Tensor | undefined, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const reductionAxes = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const { mean, variance } = tf.moments(x, reductionAxes);
  // As the stock layer, channels last.
  if (axis === x.rank - 1) return [tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean, variance];
  // Other axes by broadcasting arithmetic: tfjs's batchNorm kernels index the statistics as if
  // they ran along the last axis.
  const channelShape = x.shape.map((d, i) => (i === axis ? d : 1));
  const perChannel = (t: tf.Tensor): tf.Tensor => tf.reshape(t, channelShape);
  let y = tf.mul(tf.sub(x, perChannel(mean)), tf.rsqrt(tf.add(perChannel(variance), epsilon)));
  if (gamma) y = tf.mul(y, perChannel(gamma));
  if (beta) y = tf.add(y, perChannel(beta));
  return [y, mean, variance];
}

tf.serialization.registerClass(BatchNormalization);

export function batchNormalization(args: BatchNormArgs): BatchNormalization {
  return new BatchNormalization(args);
}
