import * as tf from '@tensorflow/tfjs';

/**
 * One Adam update of a variable as a single kernel with three outputs (value, first and second
 * moment). tfjs's Adam runs about twelve elementwise ops per variable, each a pass over a
 * weight-sized tensor and a dispatch; this is one pass. The float32 operations are tfjs's, in
 * tfjs's order. The bias corrections 1 − β1ᵗ and 1 − β2ᵗ come from the optimizer's running
 * products β1ᵗ, β2ᵗ (scalar inputs `accBeta1`, `accBeta2`), so no backend has to read them back.
 * This file is the op; adam-kernels.ts has the kernels for wasm and cpu, webgpu/adam.ts for webgpu.
 */
export const ADAM = 'TimAdam';

// A type, not an interface, so that it is a tfjs attribute map as it stands.
export type AdamAttrs = {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
};

/** The kernel's inputs: the variable, its moments, its gradient and the running products β1ᵗ, β2ᵗ. */
export type AdamInputs = Record<'value' | 'm' | 'v' | 'grad' | 'accBeta1' | 'accBeta2', tf.TensorInfo>;

/** 1 − β1ᵗ and 1 − β2ᵗ, the bias corrections, in float32. */
export function biasCorrections(accBeta1: number, accBeta2: number): [number, number] {
  return [f(1 - accBeta1), f(1 - accBeta2)];
}

const f = Math.fround;

/**
 * New value, first moment and second moment of one variable after one Adam step; `accBeta1` and
 * `accBeta2` are β1ᵗ and β2ᵗ of this step.
 */
export function adamUpdate(
  state: Record<'value' | 'm' | 'v' | 'grad' | 'accBeta1' | 'accBeta2', tf.Tensor>,
  attrs: AdamAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel<tf.Tensor[]>(ADAM, state, attrs) as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * Adam over many variables at once, each value and both moments overwritten in place: for
 * backends where a dispatch per variable is the cost (webgpu). Inputs `value0`, `m0`, `v0`,
 * `grad0`, `value1`, …; no outputs. The caller hands over only values and moments whose data
 * no other tensor shares (the backend's refCount is 1), and the bias corrections as numbers.
 * AdamW's decoupled decay is a term of it: variable i's value is first multiplied by
 * `decayFactors[i]` (1 − lr·wd, in float32, as a separate multiply would).
 */
export const ADAM_IN_PLACE = 'TimAdamInPlace';

// A type, not an interface, so that it is a tfjs attribute map as it stands.
export type AdamInPlaceAttrs = AdamAttrs & {
  /** 1 − β1ᵗ and 1 − β2ᵗ of this step, float32 (biasCorrections). */
  d1: number;
  d2: number;
  /** Each variable's weight-decay factor, 1 where it takes none (absent: none does). */
  decayFactors?: number[];
};

export interface AdamSlots {
  value: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  grad: tf.Tensor;
  /** AdamW's 1 − lr·wd for this variable; absent or 1: no decay. */
  decayFactor?: number;
}

/** Runs ADAM_IN_PLACE over `items`: each value, m and v afterwards holds its updated values. */
export function adamInPlace(items: readonly AdamSlots[], attrs: Omit<AdamInPlaceAttrs, 'decayFactors'>): void {
  const inputs: Record<string, tf.Tensor> = {};
  items.forEach((s, i) => {
    inputs[`value${i}`] = s.value;
    inputs[`m${i}`] = s.m;
    inputs[`v${i}`] = s.v;
    inputs[`grad${i}`] = s.grad;
  });
  const decayFactors = items.map((s) => s.decayFactor ?? 1);
  tf.engine().runKernel(ADAM_IN_PLACE, inputs, { ...attrs, decayFactors });
}

/**
 * β1ᵗ and β2ᵗ as tfjs's Adam accumulates them (a float32 running product from β), after
 * `iterations` steps: the values its accBeta1 and accBeta2 hold then.
 */
export class AccumulatedBetas {
  private steps = 0;
  private acc: [number, number];

  constructor(
    private readonly beta1: number,
    private readonly beta2: number,
  ) {
    this.acc = [f(beta1), f(beta2)];
  }

  at(iterations: number): [number, number] {
    if (iterations < this.steps) {
      this.steps = 0;
      this.acc = [f(this.beta1), f(this.beta2)];
    }
    const [b1, b2] = [f(this.beta1), f(this.beta2)];
    for (; this.steps < iterations; this.steps++) this.acc = [f(this.acc[0] * b1), f(this.acc[1] * b2)];
    return this.acc;
  }
}
