import * as tf from '@tensorflow/tfjs';
import { Gelu, gelu } from '../../../src/models/layers';
import { GELU } from '@tim/tfjs-training';
import { describeFusedActivationOnWasm } from '../../support/fused-activation';

/** tfjs-layers' own composition of the exact GELU. */
function composed(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
}

describe('gelu', () => {
  it('gives the stock values and gradients, keeps only its input for the backward pass, and leaks nothing', () => {
    const x = tf.linspace(-6, 6, 241);
    const loss = (f: (v: tf.Tensor) => tf.Tensor) => (v: tf.Tensor): tf.Scalar => tf.sum(tf.mul(f(v), tf.sin(v)));
    const before = tf.memory().numTensors;
    const [value, mine, stock] = tf.tidy(() => [
      tf.max(tf.abs(tf.sub(gelu(x), composed(x)))),
      tf.grad(loss(gelu))(x),
      tf.grad(loss(composed))(x),
    ]);
    expect((value as tf.Tensor).dataSync()[0]).toBe(0);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(mine, stock))));
    expect(diff.dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([value as tf.Tensor, mine, stock, diff]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('holds less memory through a backward pass than the composed form', async () => {
    const x = tf.randomNormal([64, 256]);
    const peak = async (f: (v: tf.Tensor) => tf.Tensor): Promise<number> =>
      (await tf.profile(() => tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(f(f(f(v)))))(x)))).peakBytes;
    const mine = await peak(gelu);
    const stock = await peak(composed);
    // Three activations deep: the composed form keeps four extra results of x's size per activation.
    expect(mine).toBeLessThan(stock * 0.6);
    x.dispose();
  });

  // From the far tails, where Φ is 0 or 1, through 0.
  describeFusedActivationOnWasm({ kernelName: GELU, op: gelu, composed, limit: 9, replacedKernel: 'Erf' });

  it("is what an activation: 'gelu' layer runs", () => {
    const layer = tf.layers.activation({ activation: 'gelu' });
    const x = tf.tensor1d([-1, 0, 2]);
    const y = layer.apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual(Array.from(gelu(x).dataSync()));
    expect(tf.serialization.SerializationMap.getMap().classNameMap.gelu?.[0]).toBe(Gelu);
    expect(Reflect.get(layer, 'activation')).toBeInstanceOf(Gelu);
    tf.dispose([x, y]);
  });
});
