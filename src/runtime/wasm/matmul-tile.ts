import * as tf from '@tensorflow/tfjs';
import { f32, release, runStock, type WasmBackend } from './access';
import { tileInto, transpose2d } from './layout';

/** A copy of x with its last two axes swapped. */
function swapLastTwo(backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2] as number;
  const cols = x.shape[rank - 1] as number;
  const shape = [...x.shape.slice(0, -2), cols, rows];
  const out = backend.makeOutput(shape, 'float32');
  const src = f32(backend, x);
  const dst = f32(backend, out);
  const plane = rows * cols;
  for (let o = 0; o < src.length; o += plane) transpose2d(src.subarray(o, o + plane), dst.subarray(o, o + plane), rows, cols);
  return out;
}

/**
 * The stock wasm BatchMatMul sends any transposed operand to a naive loop (about 20× slower than
 * its XNNPACK path); an explicit transpose first costs one pass over the operand.
 */
export function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const backend = args.backend;
  if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runStock('BatchMatMul', backend, { a, b }, { transposeA: Boolean(transposeA), transposeB: Boolean(transposeB) });
  }
  const a2 = transposeA ? swapLastTwo(backend, a) : a;
  const b2 = transposeB ? swapLastTwo(backend, b) : b;
  const out = runStock('BatchMatMul', backend, { a: a2, b: b2 }, { transposeA: false, transposeB: false });
  if (transposeA) release(backend, a2);
  if (transposeB) release(backend, b2);
  return out;
}

/** Tile by block copies (the stock kernel computes an index per element). */
export function tile(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { reps } = (args.attrs ?? {}) as { reps: number[] };
  const backend = args.backend;
  if (x.dtype === 'string' || x.dtype === 'complex64') return runStock('Tile', backend, { x }, { reps });
  const shape = x.shape.map((d, i) => d * (reps[i] as number));
  const out = backend.makeOutput(shape, x.dtype);
  tileInto(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), [...x.shape], reps);
  return out;
}
