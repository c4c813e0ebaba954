import * as tf from '@tensorflow/tfjs';
import { Swish } from '../../../src/models/layers';
import { loadWasm } from '../../../src/runtime/backend';
import { SILU } from '../../../src/runtime/fused/silu';
import { timKernelAvailable } from '../../../src/runtime/tim-kernels';

/** tfjs-layers' own composition of swish: x·σ(x). */
function composed(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.sigmoid(x), x);
}

const layerSwish = (x: tf.Tensor): tf.Tensor => tf.layers.activation({ activation: 'swish' }).apply(x) as tf.Tensor;
const loss = (f: (v: tf.Tensor) => tf.Tensor) => (v: tf.Tensor): tf.Scalar => tf.sum(tf.mul(f(v), tf.sin(v)));

describe('swish', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

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

  describe('on wasm, one fused kernel each way', () => {
    beforeAll(async () => {
      expect(await loadWasm()).toBe(true);
      await tf.setBackend('wasm');
    });

    it('gives the composed values and gradients, a length not in fours included, and leaks nothing', () => {
      expect(timKernelAvailable(SILU)).toBe(true);
      // 4·250 + 1 values, from where σ is 0 or 1 in float32 through 0.
      const x = tf.linspace(-20, 20, 1001);
      const before = tf.memory().numTensors;
      const [value, grad] = tf.tidy(() => [
        tf.max(tf.abs(tf.sub(layerSwish(x), composed(x)))).dataSync()[0],
        tf.max(tf.abs(tf.sub(tf.grad(loss(layerSwish))(x), tf.grad(loss(composed))(x)))).dataSync()[0],
      ]);
      // Relative to the largest value, swish(20) ≈ 20: a few float32 roundings apart.
      expect(value).toBeLessThan(20 * 1e-6);
      expect(grad).toBeLessThan(1e-5);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });

    it('runs as one kernel forward and one backward', async () => {
      const x = tf.randomNormal([8, 64]);
      const { kernelNames } = await tf.profile(() => tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(layerSwish(v)))(x)));
      expect(kernelNames.filter((k) => k.startsWith('TimSilu')).sort()).toEqual(['TimSilu', 'TimSiluGrad']);
      expect(kernelNames).not.toContain('Sigmoid');
      x.dispose();
    });
  });
});
