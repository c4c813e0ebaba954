import * as tf from '@tensorflow/tfjs';
import { dims4, runStock, type WasmBackend } from './access';
import { convWindows } from './conv';
import { address, simdKernels } from './simd';
import { type DepthwiseConvParams } from './simd/kernels-signatures';

/**
 * Fewest taps for which Tim's SIMD depthwise convolution replaces XNNPACK's: this XNNPACK build
 * has fast depthwise kernels up to 5×5 only, and runs ConvNeXt's 7×7 at under half their rate.
 */
const MIN_TAPS = 26;

// A type, not an interface, so that tfjs's attribute map reads as it without a double cast.
type DepthwiseAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
};

/** A depthwise convolution's geometry, named as the kernels depthwise_conv and depthwise_filter_grad take it. */
export function depthwiseGeometry(info: tf.backend_util.Conv2DInfo): Omit<DepthwiseConvParams, 'x_ptr' | 'filter_ptr' | 'out_ptr'> {
  return { batch: info.batchSize, c: info.inChannels, dh: info.dilationHeight, dw: info.dilationWidth, ...convWindows(info) };
}

/** DepthwiseConv2dNative: large filters over channels in sixteens on the SIMD kernel, the rest on the stock one. */
export function depthwiseConv(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as DepthwiseAttrs;
  const [kh, kw, c, m] = dims4(filter.shape);
  const simd =
    m === 1 && c % 16 === 0 && kh * kw >= MIN_TAPS && x.dtype === 'float32' && attrs.dataFormat !== 'NCHW' ? simdKernels(args.backend) : null;
  if (!simd) return runStock('DepthwiseConv2dNative', args.backend, args.inputs, args.attrs);
  const info = tf.backend_util.computeConv2DInfo(dims4(x.shape), dims4(filter.shape), attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
  const out = args.backend.makeOutput(info.outShape, 'float32');
  simd.depthwise_conv({
    x_ptr: address(args.backend, x),
    filter_ptr: address(args.backend, filter),
    out_ptr: address(args.backend, out),
    ...depthwiseGeometry(info),
  });
  return out;
}
