import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { relativeError } from '../support/relative-error';

/** An input of a parity case: a shape, values drawn from a seeded stream, and the dtype. */
export interface InputSpec {
  shape: number[];
  dtype?: 'float32' | 'int32' | 'bool';
  /** Values lie in [lo, hi) (default [-1, 1)); int32 values are floored. */
  range?: [number, number];
  /** Whether the case is differentiated with respect to this input (float32 only; default yes). */
  grad?: boolean;
}

export function values(spec: InputSpec, seed: string): Float32Array | Int32Array | Uint8Array {
  const rng = seedrandom(seed);
  const [lo, hi] = spec.range ?? [-1, 1];
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const draw = () => lo + (hi - lo) * rng();
  if (spec.dtype === 'int32') return Int32Array.from({ length: n }, () => Math.floor(draw()));
  if (spec.dtype === 'bool') return Uint8Array.from({ length: n }, () => (rng() < 0.5 ? 1 : 0));
  return Float32Array.from({ length: n }, draw);
}

export interface Outputs {
  forward: Float32Array | Int32Array | Uint8Array;
  grads: (Float32Array | Int32Array | Uint8Array)[];
}

/**
 * Runs `fn` on the current backend: its output, and the gradient of <output, r> (r a fixed
 * random cotangent) with respect to every differentiated input. Reads asynchronously only.
 */
export async function run(name: string, inputs: InputSpec[], fn: (...xs: tf.Tensor[]) => tf.Tensor): Promise<Outputs> {
  const xs = inputs.map((s, i) => tf.tensor(values(s, `${name}:${i}`), s.shape, s.dtype ?? 'float32'));
  try {
    const y = tf.tidy(() => fn(...xs));
    const forward = await y.data();
    const diff = inputs.map((s, i) => ((s.dtype ?? 'float32') === 'float32' && s.grad !== false ? i : -1)).filter((i) => i >= 0);
    let grads: Outputs['grads'] = [];
    if (diff.length > 0 && y.dtype === 'float32') {
      const r = tf.tensor(values({ shape: y.shape }, `${name}:cotangent`), y.shape);
      const g = tf.tidy(() => tf.grads((...d: tf.Tensor[]) => {
        const all = xs.map((x, i) => {
          const k = diff.indexOf(i);
          return k >= 0 ? (d[k] as tf.Tensor) : x;
        });
        return tf.sum(tf.mul(fn(...all), r));
      })(diff.map((i) => xs[i] as tf.Tensor)));
      grads = await Promise.all(g.map((t) => t.data()));
      tf.dispose([r, ...g]);
    }
    y.dispose();
    return { forward, grads };
  } finally {
    tf.dispose(xs);
  }
}

export interface ParityRow {
  name: string;
  forward: number;
  /** Worst relative error over the gradients; null when the op is not differentiated. */
  gradient: number | null;
}

export function compare(name: string, got: Outputs, want: Outputs): ParityRow {
  const forward = relativeError(Array.from(got.forward), Array.from(want.forward));
  if (got.grads.length !== want.grads.length) throw new Error(`${name}: ${got.grads.length} gradients, cpu has ${want.grads.length}`);
  const gradient = want.grads.length ? Math.max(...want.grads.map((w, i) => relativeError(Array.from(got.grads[i] ?? []), Array.from(w)))) : null;
  return { name, forward, gradient };
}

/** Writes the table where TIM_WEBGPU_PARITY_OUT says (for reports), else nowhere. */
export function recordRows(rows: ParityRow[]): void {
  const out = process.env.TIM_WEBGPU_PARITY_OUT;
  if (out) fs.writeFileSync(out, `${JSON.stringify(rows, null, 1)}\n`);
}
