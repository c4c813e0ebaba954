import * as tf from '@tensorflow/tfjs';

/**
 * Multiply-adds of one call of the kernels that do most of a step's arithmetic, as the direct
 * (textbook) convolution or product counts them, so a rate compares with the machine's peak and
 * with other libraries whatever algorithm (Winograd, im2col) ran. Undefined for other kernels.
 */
type Counter = (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, output: tf.TensorInfo) => number;

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const dim = (shape: readonly number[], i: number): number => shape.at(i) ?? 1;

/** NHWC activations, HWIO filters: each output element of a convolution is kh·kw·ci multiply-adds. */
const convForward: Counter = (inputs, _attrs, output) => {
  const f = inputs.filter?.shape ?? [];
  return size(output.shape) * dim(f, 0) * dim(f, 1) * dim(f, 2);
};
/** The input gradient does as many multiply-adds as the forward pass: one per dy element and filter tap·ci. */
const convInputGrad: Counter = (inputs) => {
  const f = inputs.filter?.shape ?? [];
  return size(inputs.dy?.shape ?? []) * dim(f, 0) * dim(f, 1) * dim(f, 2);
};
const convFilterGrad: Counter = (inputs, attrs) => {
  const f = (attrs.filterShape as number[] | undefined) ?? [];
  return size(inputs.dy?.shape ?? []) * dim(f, 0) * dim(f, 1) * dim(f, 2);
};
/** Depthwise: each output element is kh·kw multiply-adds. */
const depthwiseForward: Counter = (inputs, _attrs, output) => {
  const f = inputs.filter?.shape ?? [];
  return size(output.shape) * dim(f, 0) * dim(f, 1);
};
const depthwiseInputGrad: Counter = (inputs) => {
  const f = inputs.filter?.shape ?? [];
  return size(inputs.dy?.shape ?? []) * dim(f, 0) * dim(f, 1);
};
const depthwiseFilterGrad: Counter = (inputs, attrs) => {
  const f = (attrs.filterShape as number[] | undefined) ?? [];
  return size(inputs.dy?.shape ?? []) * dim(f, 0) * dim(f, 1);
};
/** [.., m, n] outputs, each a k-long dot product; k is a's inner axis. */
const matMul: Counter = (inputs, attrs, output) => {
  const a = inputs.a?.shape ?? [];
  const k = attrs.transposeA ? dim(a, -2) : dim(a, -1);
  return size(output.shape) * k;
};

const COUNTERS: Record<string, Counter> = {
  Conv2D: convForward,
  FusedConv2D: convForward,
  Conv2DBackpropInput: convInputGrad,
  Conv2DBackpropFilter: convFilterGrad,
  DepthwiseConv2dNative: depthwiseForward,
  FusedDepthwiseConv2D: depthwiseForward,
  DepthwiseConv2dNativeBackpropInput: depthwiseInputGrad,
  DepthwiseConv2dNativeBackpropFilter: depthwiseFilterGrad,
  BatchMatMul: matMul,
  _FusedMatMul: matMul,
};

export function multiplyAdds(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined, output: tf.TensorInfo | tf.TensorInfo[]): number | undefined {
  const counter = COUNTERS[kernelName];
  const first = Array.isArray(output) ? output[0] : output;
  return counter && first ? counter(inputs, attrs ?? {}, first) : undefined;
}
