import * as tf from '@tensorflow/tfjs';
import { runStockKernel, type KernelTable } from '../kernel-registry';
import { cpuBackendOf } from './access';

/**
 * Filter gradients for the plain JavaScript (`cpu`) backend. tfjs's own kernels read every
 * element through TensorBuffer.get, which makes Conv2DBackpropFilter about a hundred times
 * slower than the forward convolution and dominates a training step. These compute the same
 * sums over flat typed arrays, in an order whose inner loop runs over contiguous channels.
 * Anything other than NHWC without dilation goes to the original kernel.
 */
type KernelFunc = tf.KernelConfig['kernelFunc'];
// A type, not an interface, so that tfjs's attribute map reads as it without a double cast.
type FilterGradAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
  filterShape: [number, number, number, number];
};

function isUnitDilation(d: FilterGradAttrs['dilations']): boolean {
  return d === undefined || d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1);
}

/** dW[w, i, o] += x[i] * dy[o] for one tap (filter position w) of one output pixel, all channel pairs. */
function addDenseTap(dw: Float32Array, x: Float32Array, xBase: number, dy: Float32Array, dyBase: number, wBase: number, inChannels: number, outChannels: number): void {
  for (let d1 = 0; d1 < inChannels; d1++) {
    const xv = x[xBase + d1] as number;
    if (xv === 0) continue;
    const o = (wBase + d1) * outChannels;
    for (let d2 = 0; d2 < outChannels; d2++) dw[o + d2] = (dw[o + d2] as number) + xv * (dy[dyBase + d2] as number);
  }
}

/** The same for a depthwise filter: input channel i feeds only its own `mult` output channels. */
function addDepthwiseTap(dw: Float32Array, x: Float32Array, xBase: number, dy: Float32Array, dyBase: number, wBase: number, inChannels: number, mult: number): void {
  for (let d1 = 0; d1 < inChannels; d1++) {
    const xv = x[xBase + d1] as number;
    if (xv === 0) continue;
    const o = (wBase + d1) * mult;
    const dyo = dyBase + d1 * mult;
    for (let q = 0; q < mult; q++) dw[o + q] = (dw[o + q] as number) + xv * (dy[dyo + q] as number);
  }
}

/** Adds one output pixel's (b, yr, yc) share to every tap of dW that sees the image. */
function addOutputPixel(dw: Float32Array, x: Float32Array, dy: Float32Array, info: tf.backend_util.Conv2DInfo, depthwise: boolean, b: number, yr: number, yc: number): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const dyBase = ((b * outHeight + yr) * outWidth + yc) * outChannels;
  for (let wr = 0; wr < filterHeight; wr++) {
    const xr = yr * info.strideHeight + wr - info.padInfo.top;
    if (xr < 0 || xr >= inHeight) continue;
    for (let wc = 0; wc < filterWidth; wc++) {
      const xc = yc * info.strideWidth + wc - info.padInfo.left;
      if (xc < 0 || xc >= inWidth) continue;
      const xBase = ((b * inHeight + xr) * inWidth + xc) * inChannels;
      const wBase = (wr * filterWidth + wc) * inChannels;
      if (depthwise) addDepthwiseTap(dw, x, xBase, dy, dyBase, wBase, inChannels, outChannels / inChannels);
      else addDenseTap(dw, x, xBase, dy, dyBase, wBase, inChannels, outChannels);
    }
  }
}

/**
 * dW[r, c, i, o] = sum over b, y, x of input[b, y*s + r - pad, x*s + c - pad, i] * dy[b, y, x, o],
 * each element summed in the order b, y, x.
 */
function filterGradient(x: Float32Array, dy: Float32Array, info: tf.backend_util.Conv2DInfo, depthwise: boolean): Float32Array {
  const { batchSize, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info;
  const dw = new Float32Array(filterHeight * filterWidth * (depthwise ? outChannels : inChannels * outChannels));
  for (let b = 0; b < batchSize; b++) {
    for (let yr = 0; yr < outHeight; yr++) {
      for (let yc = 0; yc < outWidth; yc++) addOutputPixel(dw, x, dy, info, depthwise, b, yr, yc);
    }
  }
  return dw;
}

function fastKernel(name: string, depthwise: boolean): KernelFunc {
  return (args) => {
    const attrs = args.attrs as FilterGradAttrs;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const nhwc = attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC';
    if (!nhwc || !isUnitDilation(attrs.dilations) || x.dtype !== 'float32' || dy.dtype !== 'float32') return runStockKernel(name, 'cpu', args);
    const backend = cpuBackendOf(args.backend);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      depthwise,
    );
    const values = filterGradient(backend.data.get(x.dataId).values, backend.data.get(dy.dataId).values, info, depthwise);
    return backend.makeTensorInfo(info.filterShape, 'float32', values);
  };
}

/** The fast filter-gradient kernels for the cpu backend. */
export function cpuFilterGradientKernels(): KernelTable {
  return {
    Conv2DBackpropFilter: fastKernel('Conv2DBackpropFilter', false),
    DepthwiseConv2dNativeBackpropFilter: fastKernel('DepthwiseConv2dNativeBackpropFilter', true),
  };
}
