import * as tf from '@tensorflow/tfjs';
import { dims4, rowsFilledWith, runStock, type WasmBackend } from './access';
import { convInto, gemmColumnsFit, type ConvGeometry } from './gemm';
import { address, boundKernels, type BoundKernels } from './simd';
import { type DepthwiseConvParams } from './simd/kernels-signatures';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

// A type, not an interface, so that tfjs's attribute map reads as it without a double cast.
export type ConvAttrs = {
  strides: number | [number, number];
  pad: Pad;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: string;
};

function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Where a convolution's windows lie, named as the kernels that gather or slide them take it. */
export function convWindows(info: tf.backend_util.Conv2DInfo): Pick<DepthwiseConvParams, 'h' | 'w' | 'ho' | 'wo' | 'kh' | 'kw' | 'sh' | 'sw' | 'top' | 'left'> {
  return {
    h: info.inHeight,
    w: info.inWidth,
    ho: info.outHeight,
    wo: info.outWidth,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * The SIMD kernels when they can run this convolution (float32, NHWC, no dilation, output
 * channels in eights), else null.
 */
function gemmConvKernels(backend: WasmBackend, x: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, dataFormat?: string): BoundKernels | null {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (dataFormat !== undefined && dataFormat !== 'NHWC')) return null;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || !gemmColumnsFit(info.outChannels)) return null;
  // Patch rows are gathered in runs of filterWidth·inChannels floats; runs shorter than 16 (an
  // RGB stem with a 3×3 filter) cost more to gather than XNNPACK's whole convolution.
  const pointwise = info.filterHeight === 1 && info.filterWidth === 1 && info.strideHeight === 1 && info.strideWidth === 1;
  if (!pointwise && info.filterWidth * info.inChannels < 16) return null;
  return boundKernels(backend);
}

function convInfo(x: tf.TensorInfo, filter: tf.TensorInfo, attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    dims4(x.shape), dims4(filter.shape), attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
  );
}

/**
 * conv2d on the SIMD matrix kernels (threaded), or on the stock XNNPACK kernel where they do not
 * apply; the caller owns the result. With a bias (one value per output channel) it is added.
 */
export function conv2d(backend: WasmBackend, x: tf.TensorInfo, filter: tf.TensorInfo, attrs: ConvAttrs, bias?: tf.TensorInfo): tf.TensorInfo {
  const info = convInfo(x, filter, attrs);
  const bound = gemmConvKernels(backend, x, filter, info, attrs.dataFormat);
  const biasFits = bias === undefined || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === info.outChannels);
  if (!bound || !biasFits) {
    const stockAttrs: tf.NamedAttrMap = { ...attrs, dilations: attrs.dilations ?? 1, dataFormat: 'NHWC' };
    if (!bias) return runStock('Conv2D', backend, { x, filter }, stockAttrs);
    return runStock('FusedConv2D', backend, { x, filter, bias }, { ...stockAttrs, activation: 'linear' });
  }
  const shape = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const out = bias ? rowsFilledWith(backend, shape, bias) : backend.makeOutput(shape, 'float32');
  convInto(bound, backend, geometry(info), address(backend, x), address(backend, filter), address(backend, out), bias !== undefined);
  return out;
}

/** Conv2D for wasm: the SIMD matrix kernels where they apply. */
export function conv2DKernel(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  return conv2d(args.backend, x, filter, args.attrs as ConvAttrs);
}

/**
 * FusedConv2D for wasm: a linear convolution, with or without bias, goes to the SIMD matrix
 * kernels; other activations keep the stock kernel.
 */
export function fusedConv2DKernel(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as ConvAttrs & { activation?: string };
  const linear = attrs.activation === undefined || attrs.activation === 'linear';
  if (!linear || preluActivationWeights || !x || !filter) {
    return runStock('FusedConv2D', args.backend, args.inputs, args.attrs);
  }
  return conv2d(args.backend, x, filter, attrs, bias);
}
