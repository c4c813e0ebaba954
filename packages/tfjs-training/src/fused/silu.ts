import { fusedActivation } from './activation';

/**
 * SiLU (swish), x·σ(x), and its gradient as one pass each over float32 values on the wasm
 * backend, where tfjs composes three passes forward and about seven backward, keeping the
 * sigmoid and products of EfficientNet's widest tensors for the backward pass.
 */
export const SILU = 'TimSilu';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const fusedSilu = fusedActivation({
  kernelName: SILU,
  valueCall: (params) => ({ name: 'silu', params }),
  gradCall: (params) => ({ name: 'silu_grad', params }),
  value: (x) => x * sigmoid(x),
  slope: (x) => {
    const s = sigmoid(x);
    return s * (1 + x * (1 - s));
  },
});
