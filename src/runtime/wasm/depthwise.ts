import * as tf from '@tensorflow/tfjs';
import { dims4, runStock, type WasmBackend } from './access';
import { address, simdKernels, type HeapBackend } from './simd';

/**
 * Fewest taps for which Tim's SIMD depthwise convolution replaces XNNPACK's: this XNNPACK build
 * has fast depthwise kernels up to 5×5 only, and runs ConvNeXt's 7×7 at under half their rate.
 */
const MIN_TAPS = 26;

interface DepthwiseAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
}

/** DepthwiseConv2dNative: large filters over channels in sixteens on the SIMD kernel, the rest on the stock one. */
export function depthwiseConv(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as DepthwiseAttrs;
  const [kh, kw, c, m] = dims4(filter.shape);
  const simd =
    m === 1 && c % 16 === 0 && kh * kw >= MIN_TAPS && x.dtype === 'float32' && attrs.dataFormat !== 'NCHW' ? simdKernels(args.backend as unknown as HeapBackend) : null;
  if (!simd) return runStock('DepthwiseConv2dNative', args.backend, args.inputs, args.attrs);
  const info = tf.backend_util.computeConv2DInfo(dims4(x.shape), dims4(filter.shape), attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true);
  const out = args.backend.makeOutput(info.outShape, 'float32');
  const heap = args.backend as unknown as HeapBackend;
  simd.depthwise_conv(
    address(heap, x), address(heap, filter), address(heap, out),
    info.batchSize, info.inHeight, info.inWidth, c, info.outHeight, info.outWidth,
    kh, kw, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left,
  );
  return out;
}
