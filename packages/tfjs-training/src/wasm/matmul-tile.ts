import * as tf from '@tensorflow/tfjs';
import { f32, release, rowsFilledWith, runStock, type WasmBackend } from './access';
import { gemmColumnsFit, matMulInto } from './gemm';
import { tileInto, transpose2d } from './layout';
import { address, boundKernels } from './simd';

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
 * a·b (each optionally transposed, b's batch equal to a's or b a matrix) plus an optional bias row,
 * on the SIMD matrix kernels; null where they do not apply (other dtypes, columns not in eights,
 * broadcast batches). A transposed a is read through its strides; a transposed b is copied.
 */
function matMulOnMatrixKernels(
  backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, bias?: tf.TensorInfo,
): tf.TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = a.shape[transposeA ? ra - 1 : ra - 2] as number;
  const k = a.shape[transposeA ? ra - 2 : ra - 1] as number;
  const n = b.shape[transposeB ? rb - 2 : rb - 1] as number;
  const batchShape = a.shape.slice(0, -2);
  const batch = tf.util.sizeFromShape(batchShape);
  const sameBatch = rb === ra && b.shape.slice(0, -2).every((d, i) => d === batchShape[i]);
  if (!gemmColumnsFit(n) || !(sameBatch || rb === 2)) return null;
  if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== n)) return null;
  const bound = boundKernels(backend);
  if (!bound) return null;
  const rowMajorB = transposeB ? swapLastTwo(backend, b) : b;
  const outShape = [...batchShape, m, n];
  const out = bias ? rowsFilledWith(backend, outShape, bias) : backend.makeOutput(outShape, 'float32');
  const perB = sameBatch ? k * n : 0;
  for (let i = 0; i < batch; i++) {
    matMulInto(bound, backend, {
      a: { address: address(backend, a) + 4 * i * m * k, rowStride: transposeA ? 1 : k, colStride: transposeA ? m : 1 },
      b: address(backend, rowMajorB) + 4 * i * perB,
      ldb: n,
      c: address(backend, out) + 4 * i * m * n,
      ldc: n,
      m,
      n,
      k,
      accumulate: bias !== undefined,
    });
  }
  if (transposeB) release(backend, rowMajorB);
  return out;
}

/**
 * BatchMatMul on the SIMD matrix kernels where they apply. Elsewhere the stock kernel, except that
 * it sends any transposed operand to a naive loop (about 20× slower than its XNNPACK path), where
 * an explicit transpose first costs one pass over the operand.
 */
export function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const backend = args.backend;
  const fast = matMulOnMatrixKernels(backend, a, b, Boolean(transposeA), Boolean(transposeB));
  if (fast) return fast;
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

/** _FusedMatMul: a linear product, with or without bias, on the SIMD matrix kernels where they apply. */
export function fusedMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
  const linear = attrs.activation === undefined || attrs.activation === 'linear';
  if (linear && !preluActivationWeights && a && b) {
    const fast = matMulOnMatrixKernels(args.backend, a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB), bias);
    if (fast) return fast;
  }
  return runStock('_FusedMatMul', args.backend, args.inputs, args.attrs);
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
