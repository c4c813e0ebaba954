import * as tf from '@tensorflow/tfjs';
import { dims4, f32, release, reshapeInfo, runStock, zerosOutput, type WasmBackend } from './access';
import { conv2d, convWindows } from './conv';
import { depthwiseConv, depthwiseGeometry } from './depthwise';
import { gemmColumnsFit, matMulInto } from './gemm';
import { flipFilter, scatterSpatial, transpose2d } from './layout';
import { address, boundKernels, simdKernels, withScratch, type BoundKernels } from './simd';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

// A type, not an interface, so that tfjs's attribute map reads as it without a double cast.
type ConvGradAttrs = {
  strides: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
};

function convInfoOf(inShape: number[], filterShape: number[], attrs: ConvGradAttrs, depthwise: boolean): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    dims4(inShape),
    dims4(filterShape),
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/**
 * The input gradient of a convolution is a stride-1 convolution of the output gradient, spread
 * by the stride (zeros in between) and padded, with the flipped filter. Returns the spread and
 * padded gradient (or `dy` itself when nothing needs to move) and the pads the convolution must add.
 */
function spreadForInputGrad(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): { input: tf.TensorInfo; owned: boolean; pads: [[number, number], [number, number]] } {
  const [n, ho, wo, c] = dims4(dy.shape);
  const effH = info.effectiveFilterHeight;
  const effW = info.effectiveFilterWidth;
  const top = effH - 1 - info.padInfo.top;
  const left = effW - 1 - info.padInfo.left;
  const spreadH = (ho - 1) * info.strideHeight + 1;
  const spreadW = (wo - 1) * info.strideWidth + 1;
  const bottom = info.inHeight - spreadH - top + effH - 1;
  const right = info.inWidth - spreadW - left + effW - 1;
  if (info.strideHeight === 1 && info.strideWidth === 1 && top >= 0 && left >= 0 && bottom >= 0 && right >= 0) {
    return { input: dy, owned: false, pads: [[top, bottom], [left, right]] };
  }
  const outH = info.inHeight + effH - 1;
  const outW = info.inWidth + effW - 1;
  const spread = backend.makeOutput([n, outH, outW, c], 'float32');
  scatterSpatial(f32(backend, dy), f32(backend, spread), n, ho, wo, c, {
    outH,
    outW,
    offH: top,
    offW: left,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
  });
  return { input: spread, owned: true, pads: [[0, 0], [0, 0]] };
}

function explicit(pads: [[number, number], [number, number]]): tf.backend_util.ExplicitPadding {
  return [[0, 0], pads[0], pads[1], [0, 0]];
}

/**
 * dx of a strided conv2d, one stride phase at a time: the input rows h with (h + pad) ≡ r (mod s)
 * receive only the filter taps r, r + s, …, so each phase is a stride-1 convolution of dy with
 * that sub-filter, written back every s-th row and column. Same work as the forward pass, where
 * convolving a zero-spread dy would cost s² times more.
 */
function stridedConv2DBackpropInput(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, inputShape: number[]): tf.TensorInfo {
  const [n, ho, wo, co] = dims4(dy.shape);
  const [kh, kw, ci] = dims4(filter.shape);
  const { strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = zerosOutput(backend, inputShape);
  const phase = (r: number, k: number, s: number, pad: number, size: number, outSize: number) => {
    const taps = Math.max(0, Math.ceil((k - r) / s));
    const j0 = Math.ceil((pad - r) / s);
    const count = Math.floor((size - 1 + pad - r) / s) - j0 + 1;
    const before = taps - 1 - j0;
    return { taps, j0, count, before, after: count - outSize - before + taps - 1 };
  };
  for (let rh = 0; rh < sh; rh++) {
    const ph = phase(rh, kh, sh, pt, h, ho);
    if (ph.taps === 0 || ph.count <= 0) continue;
    for (let rw = 0; rw < sw; rw++) {
      const pw = phase(rw, kw, sw, pl, w, wo);
      if (pw.taps === 0 || pw.count <= 0) continue;
      const sub = backend.makeOutput([ph.taps, pw.taps, co, ci], 'float32');
      const src = f32(backend, filter);
      const dst = f32(backend, sub);
      for (let u = 0; u < ph.taps; u++) {
        for (let v = 0; v < pw.taps; v++) {
          const a = rh + sh * (ph.taps - 1 - u);
          const b = rw + sw * (pw.taps - 1 - v);
          const so = (a * kw + b) * ci * co;
          const dOff = (u * pw.taps + v) * co * ci;
          transpose2d(src.subarray(so, so + ci * co), dst.subarray(dOff, dOff + ci * co), ci, co);
        }
      }
      let input = dy;
      let pads: [[number, number], [number, number]] = [
        [ph.before, ph.after],
        [pw.before, pw.after],
      ];
      if (Math.min(ph.before, ph.after, pw.before, pw.after) < 0) {
        // A convolution takes no negative padding: crop (and pad) a copy instead.
        const outH = ho + ph.before + ph.after;
        const outW = wo + pw.before + pw.after;
        input = backend.makeOutput([n, outH, outW, co], 'float32');
        scatterSpatial(f32(backend, dy), f32(backend, input), n, ho, wo, co, { outH, outW, offH: ph.before, offW: pw.before, strideH: 1, strideW: 1 });
        pads = [
          [0, 0],
          [0, 0],
        ];
      }
      const part = conv2d(backend, input, sub, { strides: 1, pad: explicit(pads) });
      if (input !== dy) release(backend, input);
      release(backend, sub);
      scatterSpatial(
        f32(backend, part),
        f32(backend, out),
        n,
        ph.count,
        pw.count,
        ci,
        { outH: h, outW: w, offH: rh - pt + sh * ph.j0, offW: rw - pl + sw * pw.j0, strideH: sh, strideW: sw },
        false,
      );
      release(backend, part);
    }
  }
  return out;
}

/** dx of conv2d: a stride-1 convolution (see conv2d) of dy with the flipped, in/out-swapped filter. */
export function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const backend = args.backend;
  const attrs = args.attrs as ConvGradAttrs & { inputShape: number[]; dataFormat?: string };
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropInput supports NHWC only');
  const info = convInfoOf(attrs.inputShape, filter.shape, { ...attrs, dilations: 1 }, false);
  if (info.strideHeight > 1 || info.strideWidth > 1) return stridedConv2DBackpropInput(backend, dy, filter, info, attrs.inputShape);
  const [kh, kw, ci, co] = dims4(filter.shape);
  const flipped = backend.makeOutput([kh, kw, co, ci], 'float32');
  flipFilter(f32(backend, filter), f32(backend, flipped), kh, kw, ci, co, true);
  const { input, owned, pads } = spreadForInputGrad(backend, dy, info);
  const out = conv2d(backend, input, flipped, { strides: 1, pad: explicit(pads) });
  release(backend, flipped);
  if (owned) release(backend, input);
  return out;
}

/** Most floats the patch matrix of one filter-gradient chunk may hold (64M = 256 MiB). */
const PATCH_BUDGET = 64 * 1024 * 1024;

/** Gathers the transposed patch matrix [kh·kw·ci, nb·ho·wo] from a channel-major x [ci, nb·h·w]. */
function gatherPatches(src: Float32Array, dst: Float32Array, info: tf.backend_util.Conv2DInfo, nb: number, kh: number, kw: number, rows: number): void {
  const { inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, inChannels: ci } = info;
  const sh = info.strideHeight;
  const sw = info.strideWidth;

    for (let a = 0; a < kh; a++) {
      for (let bb = 0; bb < kw; bb++) {
        for (let c = 0; c < ci; c++) {
          const rowOff = ((a * kw + bb) * ci + c) * rows;
          for (let img = 0; img < nb; img++) {
            const plane = (c * nb + img) * h * w;
            for (let p = 0; p < ho; p++) {
              const hi = p * sh + a - info.padInfo.top;
              const o = rowOff + (img * ho + p) * wo;
              if (hi < 0 || hi >= h) {
                dst.fill(0, o, o + wo);
                continue;
              }
              const line = plane + hi * w;
              const w0 = bb - info.padInfo.left;
              if (sw === 1 && w0 >= 0 && w0 + wo <= w) {
                dst.set(src.subarray(line + w0, line + w0 + wo), o);
                continue;
              }
              for (let q = 0; q < wo; q++) {
                const wi = q * sw + w0;
                dst[o + q] = wi >= 0 && wi < w ? (src[line + wi] as number) : 0;
              }
            }
          }
        }
      }
    }
}

/**
 * dW of conv2d = patchesᵀ · dy on the SIMD matrix kernels, which read the patch matrix
 * [rows, kh·kw·ci] transposed through its strides; a 1×1, stride-1, unpadded filter's patch
 * matrix is x itself. Batches past the patch budget are done in chunks that add to dW.
 */
function filterGradOnMatrixKernels(
  bound: BoundKernels, backend: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo,
  filterShape: number[], pointwise: boolean, chunk: number,
): tf.TensorInfo {
  const [n, h, w, ci] = dims4(x.shape);
  const [, ho, wo, co] = dims4(dy.shape);
  const [kh, kw] = dims4(filterShape);
  const k = kh * kw * ci;
  const out = backend.makeOutput(filterShape, 'float32');
  const product = (patches: number, dyRows: number, rows: number, accumulate: boolean) =>
    matMulInto(bound, backend, {
      a: { address: patches, rowStride: 1, colStride: k },
      b: dyRows,
      ldb: co,
      c: address(backend, out),
      ldc: co,
      m: k,
      n: co,
      k: rows,
      accumulate,
    });
  if (pointwise) {
    product(address(backend, x), address(backend, dy), n * h * w, false);
    return out;
  }
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const rows = Math.min(chunk, n - b0) * ho * wo;
    withScratch(backend, 4 * rows * k, (patches) => {
      bound.kernels.gather_rows({
        x_ptr: address(backend, x) + 4 * b0 * h * w * ci,
        dst_ptr: patches,
        ci,
        ...convWindows(info),
        row_begin: 0,
        row_end: rows,
      });
      product(patches, address(backend, dy) + 4 * b0 * ho * wo * co, rows, b0 > 0);
    });
  }
  return out;
}

/**
 * dW of conv2d = patchesᵀ · dy, one XNNPACK matmul, where the matrix kernels do not apply
 * (output channels not in eights, or no SIMD). The transposed patch matrix
 * [kh·kw·ci, n·ho·wo] is gathered from a channel-major copy of x, so every row is a run of
 * contiguous (or strided) reads; large batches are done in chunks that are summed.
 */
export function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const backend = args.backend;
  const attrs = args.attrs as ConvGradAttrs & { filterShape: number[]; dataFormat?: string };
  if (attrs.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter supports NHWC only');
  const info = convInfoOf(x.shape, attrs.filterShape, { ...attrs, dilations: 1 }, false);
  const [n, h, w, ci] = dims4(x.shape);
  const [, ho, wo, co] = dims4(dy.shape);
  const [kh, kw] = dims4(attrs.filterShape);
  const taps = kh * kw;
  // A 1×1, stride-1, unpadded filter's patch matrix is x itself, channel-major.
  const pointwise = taps === 1 && info.strideHeight === 1 && info.strideWidth === 1 && info.padInfo.top === 0 && info.padInfo.left === 0;
  const perImage = taps * ci * ho * wo;
  const chunk = Math.max(1, Math.min(n, Math.floor(PATCH_BUDGET / Math.max(1, perImage))));
  const bound = gemmColumnsFit(co) ? boundKernels(backend) : null;
  if (bound) return filterGradOnMatrixKernels(bound, backend, x, dy, info, attrs.filterShape, pointwise, chunk);
  let total: tf.TensorInfo | undefined;
  for (let b0 = 0; b0 < n; b0 += chunk) {
    const nb = Math.min(chunk, n - b0);
    const rows = nb * ho * wo;
    // Channel-major copy of this chunk of x: [ci, nb*h*w].
    const xT = backend.makeOutput([ci, nb * h * w], 'float32');
    transpose2d(f32(backend, x).subarray(b0 * h * w * ci, (b0 + nb) * h * w * ci), f32(backend, xT), nb * h * w, ci);
    const patches = pointwise ? xT : backend.makeOutput([taps * ci, rows], 'float32');
    if (!pointwise) {
      const simd = simdKernels(backend);
      if (simd) {
        simd.gather_patches({
          src_ptr: address(backend, xT),
          dst_ptr: address(backend, patches),
          ci,
          batch: nb,
          ...convWindows(info),
        });
      } else {
        gatherPatches(f32(backend, xT), f32(backend, patches), info, nb, kh, kw, rows);
      }
    }
    if (!pointwise) release(backend, xT);
    const dy2d = reshapeInfo(backend, dy, [n * ho * wo, co]);
    let dyChunk = dy2d;
    if (nb !== n) {
      dyChunk = runStock('Slice', backend, { x: dy2d }, { begin: [b0 * ho * wo, 0], size: [rows, co] });
      release(backend, dy2d);
    }
    const part = runStock('BatchMatMul', backend, { a: patches, b: dyChunk }, { transposeA: false, transposeB: false });
    release(backend, patches, dyChunk);
    if (total === undefined) {
      total = part;
    } else {
      const sum = runStock('Add', backend, { a: total, b: part });
      release(backend, total, part);
      total = sum;
    }
  }
  const result = reshapeInfo(backend, total as tf.TensorInfo, attrs.filterShape);
  release(backend, total as tf.TensorInfo);
  return result;
}

/** dx of a depthwise convolution: a depthwise convolution of the spread dy with the flipped filter. */
export function depthwiseBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const backend = args.backend;
  const attrs = args.attrs as ConvGradAttrs & { inputShape: number[] };
  const info = convInfoOf(attrs.inputShape, filter.shape, attrs, true);
  const [kh, kw, c, m] = dims4(filter.shape);
  // Each of the c·m output channels gets its own flipped 1-multiplier filter.
  const flipped = backend.makeOutput([kh, kw, c * m, 1], 'float32');
  flipFilter(f32(backend, filter), f32(backend, flipped), kh, kw, c * m, 1, false);
  const { input, owned, pads } = spreadForInputGrad(backend, dy, info);
  const perChannel = depthwiseConv({
    inputs: { x: input, filter: flipped },
    backend,
    attrs: { strides: 1, pad: explicit(pads), dilations: [info.dilationHeight, info.dilationWidth] },
  });
  release(backend, flipped);
  if (owned) release(backend, input);
  if (m === 1) return perChannel;
  const [n, h, w] = dims4(attrs.inputShape);
  const grouped = reshapeInfo(backend, perChannel, [n, h, w, c, m]);
  const out = runStock('Sum', backend, { x: grouped }, { axis: [4], keepDims: false });
  release(backend, perChannel, grouped);
  return out;
}

/**
 * dW of a depthwise convolution: for every tap and channel, the dot product over batch and
 * positions of the shifted input plane with the dy plane. Both are first copied channel-major
 * so the inner loop runs over contiguous memory with the sum in a register.
 */
export function depthwiseBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const backend = args.backend;
  const attrs = args.attrs as ConvGradAttrs & { filterShape: number[] };
  const info = convInfoOf(x.shape, attrs.filterShape, attrs, true);
  const [n, h, w, c] = dims4(x.shape);
  const [, ho, wo, cm] = dims4(dy.shape);
  const [kh, kw, , m] = dims4(attrs.filterShape);
  const simd = m === 1 && c % 4 === 0 ? simdKernels(backend) : null;
  if (simd) {
    // Channels innermost: one SIMD multiply-add per tap and group of 4 channels, no transposes.
    const out = zerosOutput(backend, attrs.filterShape);
    simd.depthwise_filter_grad({
      x_ptr: address(backend, x),
      dy_ptr: address(backend, dy),
      dfilter_ptr: address(backend, out),
      ...depthwiseGeometry(info),
    });
    return out;
  }
  const xT = new Float32Array(n * h * w * c);
  transpose2d(f32(backend, x), xT, n * h * w, c);
  const yT = new Float32Array(n * ho * wo * cm);
  transpose2d(f32(backend, dy), yT, n * ho * wo, cm);
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const result = new Float32Array(kh * kw * cm);
  for (let ch = 0; ch < cm; ch++) {
    const k = Math.floor(ch / m);
    for (let a = 0; a < kh; a++) {
      for (let t = 0; t < kw; t++) {
        // Output columns q whose input column q*sw + t*dw - left lies inside the image.
        const off = t * dw - left;
        const q0 = Math.max(0, Math.ceil(-off / sw));
        const q1 = Math.min(wo, Math.floor((w - 1 - off) / sw) + 1);
        let s = 0;
        for (let b = 0; b < n; b++) {
          const xPlane = (k * n + b) * h;
          const yPlane = (ch * n + b) * ho;
          for (let p = 0; p < ho; p++) {
            const hi = p * sh + a * dh - top;
            if (hi < 0 || hi >= h) continue;
            const xo = (xPlane + hi) * w + off;
            const yo = (yPlane + p) * wo;
            if (sw === 1) {
              for (let q = q0; q < q1; q++) s += (xT[xo + q] as number) * (yT[yo + q] as number);
            } else {
              for (let q = q0; q < q1; q++) s += (xT[xo + q * sw] as number) * (yT[yo + q] as number);
            }
          }
        }
        result[(a * kw + t) * cm + ch] = s;
      }
    }
  }
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  f32(backend, out).set(result);
  return out;
}
