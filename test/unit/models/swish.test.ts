import * as tf from '@tensorflow/tfjs';
import { Swish } from '../../../src/models/layers';
import { SILU, timKernelAvailable } from '@tim/tfjs-training';
import { describeFusedActivationOnWasm } from '../../support/fused-activation';

/** tfjs-layers' own composition of swish: x·σ(x). */
function composed(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.sigmoid(x), x);
}

const layerSwish = (x: tf.Tensor): tf.Tensor => tf.layers.activation({ activation: 'swish' }).apply(x) as tf.Tensor;

describe('swish', () => {
  it("is what an activation: 'swish' layer runs, and is the stock activation on cpu", () => {
    expect(tf.serialization.SerializationMap.getMap().classNameMap.swish?.[0]).toBe(Swish);
    const layer = tf.layers.activation({ activation: 'swish' });
    expect(Reflect.get(layer, 'activation')).toBeInstanceOf(Swish);
    expect(timKernelAvailable(SILU)).toBe(false);
    const x = tf.linspace(-6, 6, 25);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(layer.apply(x) as tf.Tensor, composed(x)))).dataSync()[0]);
    expect(diff).toBe(0);
    x.dispose();
  });

  // From where σ is 0 or 1 in float32 through 0.
  describeFusedActivationOnWasm({ kernelName: SILU, op: layerSwish, composed, limit: 20, replacedKernel: 'Sigmoid' });
});
