import * as tf from '@tensorflow/tfjs';
import { f32, runStock, type WasmBackend } from './access';
import { address, columnMoments, simdKernels } from './simd';

/** Column sums of [rows, cols] from float `offset` of x by the SIMD kernel, in float64; null where it does not apply. */
function simdColumnSums(backend: WasmBackend, x: tf.TensorInfo, offset: number, rows: number, cols: number): Float64Array | null {
  const k = cols % 4 === 0 ? simdKernels(backend) : null;
  if (!k) return null;
  const xp = address(backend, x) + 4 * offset;
  return columnMoments(k, backend, xp, xp, rows, cols)[0];
}

/**
 * Sum and Mean over a run of adjacent axes that leaves the last one: [O, R, C] → [O, C], O = 1
 * for the leading axes of every batch-norm and bias gradient, O the batch for the spatial mean
 * of squeeze-and-excitation. The stock wasm kernels first transpose the reduced axes innermost,
 * a generic per-element copy that costs more than the sum; a row-wise accumulation (SIMD where
 * the columns come in fours) needs no copy.
 */
function adjacentReduce(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }, kernel: 'Sum' | 'Mean'): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as { axis: number | number[]; keepDims?: boolean };
  const backend = args.backend;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const first = axes[0] ?? 0;
  const last = axes[axes.length - 1] ?? 0;
  const adjacent = axes.length > 0 && last < rank - 1 && axes.every((a, i) => a === first + i);
  if (x.dtype !== 'float32' || !adjacent) return runStock(kernel, backend, { x }, attrs);
  const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
  const rows = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
  const cols = tf.util.sizeFromShape(x.shape.slice(last + 1));
  const outShape = x.shape.flatMap((d, i) => (i < first || i > last ? [d] : attrs.keepDims ? [1] : []));
  const out = backend.makeOutput(outShape, 'float32');
  const scale = kernel === 'Mean' ? 1 / Math.max(1, rows) : 1;
  for (let o = 0; o < outer; o++) {
    let acc = simdColumnSums(backend, x, o * rows * cols, rows, cols);
    if (!acc) {
      const src = f32(backend, x);
      acc = new Float64Array(cols);
      for (let r = 0; r < rows; r++) {
        const at = (o * rows + r) * cols;
        for (let c = 0; c < cols; c++) acc[c] = (acc[c] as number) + (src[at + c] as number);
      }
    }
    const dst = f32(backend, out);
    for (let c = 0; c < cols; c++) dst[o * cols + c] = (acc[c] as number) * scale;
  }
  return out;
}

export const sum = (args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo => adjacentReduce(args, 'Sum');
export const mean = (args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo => adjacentReduce(args, 'Mean');
