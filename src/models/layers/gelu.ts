import * as tf from '@tensorflow/tfjs';
import { stockActivationClass, fusedGelu, GELU, timKernelAvailable } from '@tim/tfjs-training/ops';

/**
 * The exact GELU, x·Φ(x), with a gradient that keeps only x. tfjs-layers composes it of five
 * ops and the backward pass then holds four of their results per activation; in ConvNeXt these
 * are the widest tensors of the network (four times the block's channels). Where the backend
 * has Tim's fused kernel (wasm, webgpu), value and gradient are one pass each; elsewhere the forward
 * values are the stock activation's, computed by the same ops.
 */

const StockGelu = stockActivationClass('gelu');

function geluValue(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** d/dx x·Φ(x) = Φ(x) + x·φ(x). */
function geluDerivative(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(x))));
    return tf.add(cdf, tf.mul(x, pdf));
  });
}

const composedGelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad<tf.Tensor>((...args) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: geluValue(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, geluDerivative(saved[0] as tf.Tensor)),
  };
});

export function gelu(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' && timKernelAvailable(GELU) ? fusedGelu.apply(x) : composedGelu(x);
}

/** Registered under the stock name 'gelu', so `activation: 'gelu'` layers and saved models use it. */
export class Gelu extends StockGelu {
  static override className = 'gelu';

  override apply(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }
}

tf.serialization.registerClass(Gelu);
