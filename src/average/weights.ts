import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { readModelArtifacts } from '../io/model-io';

/** One saved weight: its name in model.json, its shape, and its values. */
export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/**
 * Every weight of a saved model folder as float32 values, in model.json's order (BatchNorm's
 * moving mean and variance included: they are weights like any other there).
 */
export function readFolderWeights(dir: string): NamedWeight[] {
  const { artifacts } = readModelArtifacts(dir);
  const specs = artifacts.weightSpecs ?? [];
  const notFloat = specs.find((s) => s.dtype !== 'float32');
  if (notFloat) throw new TimError(`${dir}: weight ${notFloat.name} is ${notFloat.dtype}; only float32 weights can be averaged`);
  const map = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), specs);
  try {
    return specs.map((s) => ({ name: s.name, shape: [...s.shape], values: (map[s.name] as tf.Tensor).dataSync() as Float32Array }));
  } finally {
    tf.dispose(Object.values(map));
  }
}

/** Why two models' weights cannot be averaged (names, order or shapes differ), or undefined. */
export function weightMismatch(a: readonly NamedWeight[], b: readonly NamedWeight[]): string | undefined {
  if (a.length !== b.length) return `${b.length} weights where the first has ${a.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as NamedWeight;
    const y = b[i] as NamedWeight;
    if (x.name !== y.name) return `weight ${i + 1} is ${y.name} where the first has ${x.name}`;
    if (x.shape.join('x') !== y.shape.join('x')) return `${y.name} has shape [${y.shape.join(', ')}] where the first has [${x.shape.join(', ')}]`;
  }
  return undefined;
}

/**
 * Accumulates models' weights and gives their element-wise mean: summed in float64 in the
 * order added, divided once, then rounded to float32, so the result is the float64 mean
 * correctly rounded (a float32 running sum would lose the low bits of large weights).
 */
export class WeightAverage {
  private sums: { name: string; shape: number[]; sum: Float64Array }[] | undefined;
  private count = 0;

  /** Adds one model's weights; they must match the first's (see weightMismatch). */
  add(weights: readonly NamedWeight[]): void {
    if (!this.sums) {
      this.sums = weights.map((w) => ({ name: w.name, shape: w.shape, sum: Float64Array.from(w.values) }));
    } else {
      this.sums.forEach((s, i) => {
        const v = (weights[i] as NamedWeight).values;
        for (let j = 0; j < v.length; j++) s.sum[j] = (s.sum[j] as number) + (v[j] as number);
      });
    }
    this.count++;
  }

  mean(): NamedWeight[] {
    if (!this.sums) throw new TimError('averaging: no weights were added');
    const n = this.count;
    return this.sums.map((s) => ({ name: s.name, shape: s.shape, values: Float32Array.from(s.sum, (v) => v / n) }));
  }
}
