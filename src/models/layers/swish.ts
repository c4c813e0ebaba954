import * as tf from '@tensorflow/tfjs';
import { stockActivationClass, fusedSilu, SILU, timKernelAvailable } from '@tim/tfjs-training/ops';

/**
 * SiLU (tfjs's 'swish', EfficientNet's activation), x·σ(x): on Tim's fused kernel where the
 * backend has it (wasm, webgpu), one pass each way keeping only x; elsewhere the stock activation.
 */

const StockSwish = stockActivationClass('swish');

/** Registered under the stock name 'swish', so `activation: 'swish'` layers and saved models use it. */
export class Swish extends StockSwish {
  static override className = 'swish';

  override apply(x: tf.Tensor): tf.Tensor {
    return x.dtype === 'float32' && timKernelAvailable(SILU) ? fusedSilu.apply(x) : super.apply(x);
  }
}

tf.serialization.registerClass(Swish);
