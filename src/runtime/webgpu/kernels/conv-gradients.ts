import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelTable } from '../../kernel-registry';
import { dims4 } from '../../wasm/access';
import { ConvFilterGradientProgram } from './conv-filter-gradient';
import { ConvInputGradientProgram } from './conv-input-gradient';
import { DepthwiseFilterGradientProgram, DepthwiseInputGradientProgram } from './depthwise-gradients';
import { fallBack } from './fallbacks';
import { runProgram, type UniformProgram } from './run-program';
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

/** The largest workgroup count WebGPU guarantees per grid dimension. */
const GRID_MAX = 65535;

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

function fitsGrid(program: UniformProgram): boolean {
  return program.dispatch.every((d) => d <= GRID_MAX);
}

/** Runs the main pass and, when it was split, the pass that adds the slices. */
function runSplit(backend: WebGPUBackend, program: UniformProgram & { plan: { splits: number } }, inputs: tf.TensorInfo[], shape: number[]): tf.TensorInfo {
  const partial = runProgram(backend, program, inputs);
  if (program.plan.splits === 1) return partial;
  const total = runProgram(backend, new SplitSumProgram(shape, program.plan.splits), [partial]);
  backend.disposeData(partial.dataId);
  return total;
}

function conv2DBackpropFilter(args: Args): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as GradAttrs & { filterShape: [number, number, number, number] };
  if (!takes(attrs, [x, dy])) return fallBack('Conv2DBackpropFilter', args) as tf.TensorInfo;
  const program = new ConvFilterGradientProgram(convInfo(x.shape, attrs.filterShape, attrs, false));
  if (!fitsGrid(program)) return fallBack('Conv2DBackpropFilter', args) as tf.TensorInfo;
  return runSplit(args.backend as WebGPUBackend, program, [x, dy], attrs.filterShape);
}

function conv2DBackpropInput(args: Args): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as GradAttrs & { inputShape: [number, number, number, number] };
  if (!takes(attrs, [dy, filter])) return fallBack('Conv2DBackpropInput', args) as tf.TensorInfo;
  const program = new ConvInputGradientProgram(convInfo(attrs.inputShape, filter.shape, attrs, false));
  if (!fitsGrid(program)) return fallBack('Conv2DBackpropInput', args) as tf.TensorInfo;
  return runSplit(args.backend as WebGPUBackend, program, [dy, filter], attrs.inputShape);
}

function depthwiseBackpropFilter(args: Args): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as GradAttrs & { filterShape: [number, number, number, number] };
  if (!takes(attrs, [x, dy]) || attrs.filterShape[3] !== 1) return fallBack('DepthwiseConv2dNativeBackpropFilter', args) as tf.TensorInfo;
  const program = new DepthwiseFilterGradientProgram(convInfo(x.shape, attrs.filterShape, attrs, true));
  if (!fitsGrid(program)) return fallBack('DepthwiseConv2dNativeBackpropFilter', args) as tf.TensorInfo;
  return runSplit(args.backend as WebGPUBackend, program, [x, dy], attrs.filterShape);
}

function depthwiseBackpropInput(args: Args): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as GradAttrs & { inputShape: [number, number, number, number] };
  if (!takes(attrs, [dy, filter]) || filter.shape[3] !== 1) return fallBack('DepthwiseConv2dNativeBackpropInput', args) as tf.TensorInfo;
  const program = new DepthwiseInputGradientProgram(convInfo(attrs.inputShape, filter.shape, attrs, true));
  return runProgram(args.backend as WebGPUBackend, program, [dy, filter]);
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
