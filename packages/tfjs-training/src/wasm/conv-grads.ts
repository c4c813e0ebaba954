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
 * One stride phase along one axis: the input rows h with (h + pad) ≡ r (mod s). They receive
 * the `taps` filter taps r, r + s, …; `count` of them, from the `j0`-th phase row on, lie in the
 * image; the phase's convolution of dy pads it by `before` and `after` (either may be negative).
 */
interface StridePhase {
  r: number;
  taps: number;
  j0: number;
  count: number;
  before: number;
  after: number;
}

function stridePhase(r: number, k: number, s: number, pad: number, size: number, outSize: number): StridePhase {
  const taps = Math.max(0, Math.ceil((k - r) / s));
  const j0 = Math.ceil((pad - r) / s);
  const count = Math.floor((size - 1 + pad - r) / s) - j0 + 1;
  const before = taps - 1 - j0;
  return { r, taps, j0, count, before, after: count - outSize - before + taps - 1 };
}

/** A phase's sub-filter [th, tw, co, ci]: its taps of the [kh, kw, ci, co] filter, flipped and in/out-swapped. */
function phaseFilter(backend: WasmBackend, filter: tf.TensorInfo, ph: StridePhase, pw: StridePhase, sh: number, sw: number): tf.TensorInfo {
  const [, kw, ci, co] = dims4(filter.shape);
  const sub = backend.makeOutput([ph.taps, pw.taps, co, ci], 'float32');
  const src = f32(backend, filter);
  const dst = f32(backend, sub);
  for (let u = 0; u < ph.taps; u++) {
    for (let v = 0; v < pw.taps; v++) {
      const so = ((ph.r + sh * (ph.taps - 1 - u)) * kw + pw.r + sw * (pw.taps - 1 - v)) * ci * co;
      const dOff = (u * pw.taps + v) * co * ci;
      transpose2d(src.subarray(so, so + ci * co), dst.subarray(dOff, dOff + ci * co), ci, co);
    }
  }
  return sub;
}

/** The stride-1 convolution of dy with a phase's sub-filter, padded by the phase's before and after. */
function phaseConvolution(backend: WasmBackend, dy: tf.TensorInfo, sub: tf.TensorInfo, ph: StridePhase, pw: StridePhase): tf.TensorInfo {
  if (Math.min(ph.before, ph.after, pw.before, pw.after) >= 0) {
    return conv2d(backend, dy, sub, { strides: 1, pad: explicit([[ph.before, ph.after], [pw.before, pw.after]]) });
  }
  // A convolution takes no negative padding: crop (and pad) a copy instead.
  const [n, ho, wo, co] = dims4(dy.shape);
  const outH = ho + ph.before + ph.after;
  const outW = wo + pw.before + pw.after;
  const input = backend.makeOutput([n, outH, outW, co], 'float32');
  scatterSpatial(f32(backend, dy), f32(backend, input), n, ho, wo, co, { outH, outW, offH: ph.before, offW: pw.before, strideH: 1, strideW: 1 });
  const part = conv2d(backend, input, sub, { strides: 1, pad: explicit([[0, 0], [0, 0]]) });
  release(backend, input);
  return part;
}

/**
 * dx of a strided conv2d, one stride phase at a time: each phase (rows and columns) is a
 * stride-1 convolution of dy with that phase's sub-filter, written back every s-th row and
 * column. Same work as the forward pass, where convolving a zero-spread dy would cost s² times more.
 */
function stridedConv2DBackpropInput(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, inputShape: number[]): tf.TensorInfo {
  const [n, ho, wo] = dims4(dy.shape);
  const [kh, kw, ci] = dims4(filter.shape);
  const { strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const out = zerosOutput(backend, inputShape);
  for (let rh = 0; rh < sh; rh++) {
    const ph = stridePhase(rh, kh, sh, pt, h, ho);
    if (ph.taps === 0 || ph.count <= 0) continue;
    for (let rw = 0; rw < sw; rw++) {
      const pw = stridePhase(rw, kw, sw, pl, w, wo);
      if (pw.taps === 0 || pw.count <= 0) continue;
      const sub = phaseFilter(backend, filter, ph, pw, sh, sw);
      const part = phaseConvolution(backend, dy, sub, ph, pw);
      release(backend, sub);
      const offsets = { outH: h, outW: w, offH: rh - pt + sh * ph.j0, offW: rw - pl + sw * pw.j0, strideH: sh, strideW: sw };
      scatterSpatial(f32(backend, part), f32(backend, out), n, ph.count, pw.count, ci, offsets, false);
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

/** Copies one row of `wo` window positions, `sw` apart from column `w0` of an image row of width `w`; outside reads as 0. */
function copyWindowRow(src: Float32Array, from: number, dst: Float32Array, to: number, w0: number, wo: number, sw: number, w: number): void {
  if (sw === 1 && w0 >= 0 && w0 + wo <= w) {
    dst.set(src.subarray(from + w0, from + w0 + wo), to);
    return;
  }
  for (let q = 0; q < wo; q++) {
    const wi = q * sw + w0;
    dst[to + q] = wi >= 0 && wi < w ? (src[from + wi] as number) : 0;
  }
}

/** Gathers the transposed patch matrix [kh·kw·ci, nb·ho·wo] from a channel-major x [ci, nb·h·w]. */
function gatherPatches(src: Float32Array, dst: Float32Array, info: tf.backend_util.Conv2DInfo, nb: number, kh: number, kw: number, rows: number): void {
  const { inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, inChannels: ci, strideHeight: sh, strideWidth: sw } = info;
  // Row r of the patch matrix is tap (a, bb) of input channel c, with r = (a·kw + bb)·ci + c.
  for (let r = 0; r < kh * kw * ci; r++) {
    const c = r % ci;
    const tap = (r - c) / ci;
    const a = Math.floor(tap / kw);
    const w0 = (tap % kw) - info.padInfo.left;
    for (let img = 0; img < nb; img++) {
      const plane = (c * nb + img) * h * w;
      for (let p = 0; p < ho; p++) {
        const hi = p * sh + a - info.padInfo.top;
        const o = r * rows + (img * ho + p) * wo;
        if (hi < 0 || hi >= h) dst.fill(0, o, o + wo);
        else copyWindowRow(src, plane + hi * w, dst, o, w0, wo, sw, w);
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

/** Channel-major copies of a depthwise convolution's x [c, n·h·w] and dy [c·m, n·ho·wo], with its geometry. */
interface DepthwisePlanes {
  xT: Float32Array;
  yT: Float32Array;
  info: tf.backend_util.Conv2DInfo;
}

/**
 * The dot product over batch and positions of x's plane of input channel k, shifted to tap
 * (a, t), with dy's plane of output channel ch; the sum stays in a register.
 */
function depthwiseTapSum({ xT, yT, info }: DepthwisePlanes, k: number, ch: number, a: number, t: number): number {
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  // Output columns q whose input column q*sw + t*dw - left lies inside the image.
  const off = t * info.dilationWidth - info.padInfo.left;
  const q0 = Math.max(0, Math.ceil(-off / sw));
  const q1 = Math.min(wo, Math.floor((w - 1 - off) / sw) + 1);
  let s = 0;
  for (let b = 0; b < n; b++) {
    const xPlane = (k * n + b) * h;
    const yPlane = (ch * n + b) * ho;
    for (let p = 0; p < ho; p++) {
      const hi = p * sh + a * info.dilationHeight - info.padInfo.top;
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
  return s;
}

/** dW of a depthwise convolution [kh, kw, c, m] without the SIMD kernel: one tap sum per element. */
function depthwiseFilterGradScalar(x: Float32Array, dy: Float32Array, info: tf.backend_util.Conv2DInfo, m: number): Float32Array {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, outChannels: cm, filterHeight: kh, filterWidth: kw } = info;
  const planes: DepthwisePlanes = { xT: new Float32Array(n * h * w * c), yT: new Float32Array(n * ho * wo * cm), info };
  transpose2d(x, planes.xT, n * h * w, c);
  transpose2d(dy, planes.yT, n * ho * wo, cm);
  const result = new Float32Array(kh * kw * cm);
  for (let ch = 0; ch < cm; ch++) {
    for (let a = 0; a < kh; a++) {
      for (let t = 0; t < kw; t++) result[(a * kw + t) * cm + ch] = depthwiseTapSum(planes, Math.floor(ch / m), ch, a, t);
    }
  }
  return result;
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
  const c = info.inChannels;
  const m = info.outChannels / c;
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
  const result = depthwiseFilterGradScalar(f32(backend, x), f32(backend, dy), info, m);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  f32(backend, out).set(result);
  return out;
}
