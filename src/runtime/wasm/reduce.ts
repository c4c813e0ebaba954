import * as tf from '@tensorflow/tfjs';
import { f32, runStock, type WasmBackend } from './access';
import { address, columnMoments, simdKernels, type HeapBackend } from './simd';

/** Column sums of x viewed as [rows, cols] by the SIMD kernel, in float64; null where it does not apply. */
function simdColumnSums(backend: WasmBackend, x: tf.TensorInfo, rows: number, cols: number): Float64Array | null {
  const heap = backend as unknown as HeapBackend;
  const k = cols % 4 === 0 ? simdKernels(heap) : null;
  if (!k) return null;
  const xp = address(heap, x);
  return columnMoments(k, heap, xp, xp, rows, cols)[0];
}

/**
 * Sum and Mean over leading axes ([R, C] → [C]), the reduction of every batch-norm and bias
 * gradient. The stock wasm kernels first transpose the reduced axes innermost, a generic
 * per-element copy that costs more than the sum; a row-wise accumulation (SIMD where the
 * columns come in fours) needs no copy.
 */
function leadingReduce(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }, kernel: 'Sum' | 'Mean'): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as { axis: number | number[]; keepDims?: boolean };
  const backend = args.backend;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading) return runStock(kernel, backend, { x }, attrs);
  const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(axes.length);
  const cols = rest.reduce((a, b) => a * b, 1);
  const outShape = attrs.keepDims ? [...axes.map(() => 1), ...rest] : rest;
  const out = backend.makeOutput(outShape, 'float32');
  let acc = simdColumnSums(backend, x, rows, cols);
  if (!acc) {
    const src = f32(backend, x);
    acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) acc[c] = (acc[c] as number) + (src[o + c] as number);
    }
  }
  const dst = f32(backend, out);
  const scale = kernel === 'Mean' ? 1 / Math.max(1, rows) : 1;
  for (let c = 0; c < cols; c++) dst[c] = (acc[c] as number) * scale;
  return out;
}

export const sum = (args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo => leadingReduce(args, 'Sum');
export const mean = (args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo => leadingReduce(args, 'Mean');
