import * as tf from '@tensorflow/tfjs';
import { stockActivationClass, SIGMOID, timSigmoid, timKernelAvailable } from '@tim/tfjs-training/ops';

/**
 * The sigmoid activation (EfficientNet's squeeze-and-excitation gate): on Tim's kernel where the
 * backend has it (webgpu), whose gradient is one pass; elsewhere the stock activation.
 */

const StockSigmoid = stockActivationClass('sigmoid');

/** Registered under the stock name 'sigmoid', so `activation: 'sigmoid'` layers and saved models use it. */
export class Sigmoid extends StockSigmoid {
  static override className = 'sigmoid';

  override apply(x: tf.Tensor): tf.Tensor {
    return x.dtype === 'float32' && timKernelAvailable(SIGMOID) ? timSigmoid(x) : super.apply(x);
  }
}

tf.serialization.registerClass(Sigmoid);
