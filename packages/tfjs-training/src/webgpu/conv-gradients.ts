import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelTable } from '../kernel-registry';
import { dims4 } from '../wasm/access';
import { ConvFilterGradientProgram } from './conv-filter-gradient';
import { ConvInputGradientProgram } from './conv-input-gradient';
import { DepthwiseFilterGradientProgram, DepthwiseInputGradientProgram } from './depthwise-gradients';
import { fallBack } from './fallbacks';
import { GRID_MAX, launchedGrid, runPrograms, type UniformProgram } from './run-program';
import { SplitSumProgram } from './split-sum';

/**
 * Tim's WebGPU convolution gradients (NHWC, float32, no dilation; a depthwise filter of one
 * channel per input channel), in place of tfjs's one-invocation-per-output loops. Anything else
 * goes to the stock kernel and is counted (webgpuKernelFallbacks).
 */

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
// Types, not interfaces, so that tfjs's attribute map reads as them without a double cast.
type GradAttrs = {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
};
type Args = Parameters<tf.KernelFunc>[0];

function unitDilation(d: GradAttrs['dilations']): boolean {
  return d === undefined || d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1);
}

function convInfo(inShape: readonly number[], filterShape: readonly number[], attrs: GradAttrs, depthwise: boolean): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(dims4(inShape), dims4(filterShape), attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, depthwise, 'channelsLast');
}

/** Whether Tim's programs take a gradient with these attributes and tensors. */
function takes(attrs: GradAttrs, tensors: tf.TensorInfo[]): boolean {
  return (attrs.dataFormat ?? 'NHWC') === 'NHWC' && unitDilation(attrs.dilations) && tensors.every((t) => t.dtype === 'float32' && t.shape.length === 4);
}

export type ConvGradientKernel = 'Conv2DBackpropFilter' | 'Conv2DBackpropInput' | 'DepthwiseConv2dNativeBackpropFilter' | 'DepthwiseConv2dNativeBackpropInput';

const MAIN_PROGRAM: Record<ConvGradientKernel, new (info: tf.backend_util.Conv2DInfo) => UniformProgram & { readonly splits: number }> = {
  Conv2DBackpropFilter: ConvFilterGradientProgram,
  Conv2DBackpropInput: ConvInputGradientProgram,
  DepthwiseConv2dNativeBackpropFilter: DepthwiseFilterGradientProgram,
  DepthwiseConv2dNativeBackpropInput: DepthwiseInputGradientProgram,
};

/**
 * The programs Tim's kernel `kernel` runs, in order, for a convolution described by `info` (a
 * split-K pass and the pass adding its slices, or one pass); none where its grid is larger than
 * WebGPU allows and the stock kernel runs instead. The dispatch report reads them too.
 */
export function convGradientPrograms(kernel: ConvGradientKernel, info: tf.backend_util.Conv2DInfo): UniformProgram[] {
  const main = new MAIN_PROGRAM[kernel](info);
  if (!launchedGrid(main).every((d) => d <= GRID_MAX)) return [];
  if (main.splits === 1) return [main];
  return [main, new SplitSumProgram(main.outputShape.slice(1), main.splits)];
}

/** Runs Tim's programs for this gradient, or the stock kernel (counted) where they do not take it. */
function runGradient(kernel: ConvGradientKernel, args: Args, info: tf.backend_util.Conv2DInfo | undefined, inputs: tf.TensorInfo[]): tf.TensorInfo {
  const programs = info ? convGradientPrograms(kernel, info) : [];
  if (programs.length === 0) return fallBack(kernel, args) as tf.TensorInfo;
  return runPrograms(args.backend as WebGPUBackend, programs, inputs);
}

function conv2DBackpropFilter(args: Args): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as GradAttrs & { filterShape: [number, number, number, number] };
  const info = takes(attrs, [x, dy]) ? convInfo(x.shape, attrs.filterShape, attrs, false) : undefined;
  return runGradient('Conv2DBackpropFilter', args, info, [x, dy]);
}

function conv2DBackpropInput(args: Args): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as GradAttrs & { inputShape: [number, number, number, number] };
  const info = takes(attrs, [dy, filter]) ? convInfo(attrs.inputShape, filter.shape, attrs, false) : undefined;
  return runGradient('Conv2DBackpropInput', args, info, [dy, filter]);
}

function depthwiseBackpropFilter(args: Args): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as GradAttrs & { filterShape: [number, number, number, number] };
  const info = takes(attrs, [x, dy]) && attrs.filterShape[3] === 1 ? convInfo(x.shape, attrs.filterShape, attrs, true) : undefined;
  return runGradient('DepthwiseConv2dNativeBackpropFilter', args, info, [x, dy]);
}

function depthwiseBackpropInput(args: Args): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as GradAttrs & { inputShape: [number, number, number, number] };
  const info = takes(attrs, [dy, filter]) && filter.shape[3] === 1 ? convInfo(attrs.inputShape, filter.shape, attrs, true) : undefined;
  return runGradient('DepthwiseConv2dNativeBackpropInput', args, info, [dy, filter]);
}

/** Tim's convolution-gradient kernels for the webgpu backend, by tfjs kernel name. */
export function webgpuConvGradientKernels(): KernelTable {
  return {
    Conv2DBackpropFilter: conv2DBackpropFilter,
    Conv2DBackpropInput: conv2DBackpropInput,
    DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
    DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  };
}
