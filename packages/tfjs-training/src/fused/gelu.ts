import { erfApproximation } from '../erf';
import { fusedActivation } from './activation';

/**
 * The exact GELU, x·Φ(x), and its gradient as one pass each over float32 values on the wasm
 * backend, where tfjs composes five passes forward and eleven backward.
 */
export const GELU = 'TimGelu';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const normalCdf = (x: number): number => 0.5 * (1 + erfApproximation(x * Math.SQRT1_2));

export const fusedGelu = fusedActivation({
  kernelName: GELU,
  valueCall: (params) => ({ name: 'gelu', params }),
  gradCall: (params) => ({ name: 'gelu_grad', params }),
  value: (x) => x * normalCdf(x),
  slope: (x) => normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
});
