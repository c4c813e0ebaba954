import * as tf from '@tensorflow/tfjs';
import { batchNormTraining, BN_TRAINING } from '../../runtime/fused/batch-norm';
import { timKernelAvailable } from '../../runtime/tim-kernels';

type BatchNormArgs = NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>;

/** The stock layer's state this subclass reads (protected in tfjs-layers' typings). */
interface StockFields {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type LayerClass = (new (args?: BatchNormArgs) => tf.layers.Layer) & Pick<typeof tf.layers.Layer, 'fromConfig'>;

function stockClass(): LayerClass {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization;
  if (!entry) throw new Error('tfjs-layers has no BatchNormalization class registered');
  return entry[0] as unknown as LayerClass;
}

const StockBatchNormalization = stockClass();

/**
 * tfjs's BatchNormalization, with training mode on one fused kernel (and gradient) where the
 * backend has it: same weights, same config, same moving-average update. It is registered under
 * the stock class name, so saved models load into it.
 */
export class BatchNormalization extends StockBatchNormalization {
  static className = 'BatchNormalization';

  constructor(args: BatchNormArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as StockFields;
    const lastAxis = x !== undefined && (self.axis === -1 || self.axis === x.rank - 1);
    const fusable = kwargs.training === true && lastAxis && x.dtype === 'float32' && self.gamma !== null && self.beta !== null && timKernelAvailable(BN_TRAINING);
    if (!fusable) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(x, (self.gamma as tf.LayerVariable).read(), (self.beta as tf.LayerVariable).read(), self.epsilon);
      // As the stock layer: moving = moving − (moving − batch) · (1 − momentum), variance biased.
      for (const [moving, batch] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
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

tf.serialization.registerClass(BatchNormalization);

export function batchNormalization(args: BatchNormArgs): BatchNormalization {
  return new BatchNormalization(args);
}
