import * as tf from '@tensorflow/tfjs';
import { registeredKernels, enableTraining, webgpuKernelFallbacks } from '@tim/tfjs-training';
import { selectBackend } from '../../src/runtime/backend';
import { releaseWebGpu } from '../../src/runtime/webgpu/backend';
import { relativeError } from '../support/relative-error';
import { compare, type InputSpec, type Outputs, run, values } from './parity';

jest.setTimeout(300_000);

/**
 * Tim's WebGPU convolution gradients against the cpu backend, on the layers of ResNet-50,
 * EfficientNet-B0 and ConvNeXt-Tiny as Tim's models call them (stride 1 with an odd kernel as
 * 'same', anything else as explicit zero padding and 'valid'), with the channels, kernels and
 * strides of the real layers and a smaller batch and image. The cases the kernels do not take
 * must reach the stock kernel and be counted.
 */
type Kernel = 'Conv2DBackpropFilter' | 'Conv2DBackpropInput' | 'DepthwiseConv2dNativeBackpropFilter' | 'DepthwiseConv2dNativeBackpropInput';

interface Case {
  name: string;
  inputs: InputSpec[];
  fn: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;
  /** The kernels expected to fall back to the stock ones (none for the backbones' layers). */
  fallsBack?: Kernel[];
}

const t4 = (x: tf.Tensor) => x as tf.Tensor4D;
const padded = (x: tf.Tensor, p: number) => t4(tf.pad(t4(x), [[0, 0], [p, p], [p, p], [0, 0]]));

/** A dense convolution as blocks.ts builds it: PyTorch padding p, kernel k, stride s. */
function dense(name: string, n: number, size: number, ci: number, co: number, k: number, s: number, p: number): Case {
  const same = s === 1 && k % 2 === 1 && p === (k - 1) / 2;
  return {
    name,
    inputs: [{ shape: [n, size, size, ci] }, { shape: [k, k, ci, co] }],
    fn: (x, w) => (same ? tf.conv2d(t4(x), t4(w), 1, 'same') : tf.conv2d(p > 0 ? padded(x, p) : t4(x), t4(w), s, 'valid')),
  };
}

function depthwise(name: string, n: number, size: number, c: number, k: number, s: number): Case {
  const p = (k - 1) / 2;
  return {
    name,
    inputs: [{ shape: [n, size, size, c] }, { shape: [k, k, c, 1] }],
    fn: (x, w) => (s === 1 ? tf.depthwiseConv2d(t4(x), t4(w), 1, 'same') : tf.depthwiseConv2d(padded(x, p), t4(w), s, 'valid')),
  };
}

const CASES: Case[] = [
  dense('resnet50 stem 7x7/2, 3→64', 2, 18, 3, 64, 7, 2, 3),
  dense('resnet50 layer1 1x1, 64→64', 2, 8, 64, 64, 1, 1, 0),
  dense('resnet50 layer1 3x3, 64→64', 2, 8, 64, 64, 3, 1, 1),
  dense('resnet50 layer1 1x1, 64→256', 2, 8, 64, 256, 1, 1, 0),
  dense('resnet50 layer2 3x3/2, 128→128', 2, 8, 128, 128, 3, 2, 1),
  dense('resnet50 layer2 downsample 1x1/2, 256→512', 2, 8, 256, 512, 1, 2, 0),
  dense('resnet50 layer4 3x3, 512→512', 1, 3, 512, 512, 3, 1, 1),
  dense('resnet50 layer4 1x1, 2048→512', 1, 2, 2048, 512, 1, 1, 0),
  dense('efficientnet_b0 stem 3x3/2, 3→32', 2, 15, 3, 32, 3, 2, 1),
  dense('efficientnet_b0 expand 1x1, 16→96', 2, 8, 16, 96, 1, 1, 0),
  dense('efficientnet_b0 squeeze-excitation 1x1 at 1x1, 96→4', 3, 1, 96, 4, 1, 1, 0),
  dense('efficientnet_b0 head 1x1, 320→1280', 1, 2, 320, 1280, 1, 1, 0),
  dense('convnext_tiny stem 4x4/4, 3→96', 2, 16, 3, 96, 4, 4, 0),
  // Large enough images that the n·oh·ow reduction of the filter gradients is cut into 8 slices
  // of 240 (the last one shorter) and added by the second pass.
  dense('efficientnet_b0 stem 3x3/2, 3→32, 60 px (filter gradient in slices)', 2, 60, 3, 32, 3, 2, 1),
  dense('efficientnet_b0 expand 1x1, 16→96, 30 px (filter gradient in slices)', 2, 30, 16, 96, 1, 1, 0),
  dense('convnext_tiny downsample 2x2/2, 384→768', 1, 4, 384, 768, 2, 2, 0),
  depthwise('efficientnet_b0 depthwise 3x3, 32', 2, 9, 32, 3, 1),
  depthwise('efficientnet_b0 depthwise 3x3/2, 96', 2, 9, 96, 3, 2),
  depthwise('efficientnet_b0 depthwise 5x5/2, 144', 2, 10, 144, 5, 2),
  depthwise('efficientnet_b0 depthwise 5x5, 672', 1, 5, 672, 5, 1),
  depthwise('convnext_tiny depthwise 7x7, 96', 2, 8, 96, 7, 1),
  depthwise('efficientnet_b0 depthwise 3x3, 32, 30 px (filter gradient in slices)', 2, 30, 32, 3, 1),
  // ConvNeXt's pointwise MLPs are dense layers over channels-last pixels: their weight gradient
  // aᵀ·b reduces over every pixel of the batch (1,800 here, 100,352 at 224 px, batch 32), which
  // Tim's BatchMatMul splits as the 1×1 filter gradient; a short reduction stays on the stock one.
  {
    name: 'convnext_tiny pointwise MLP as a dense layer, 24→40 over 1,800 pixels (split-K weight gradient)',
    inputs: [{ shape: [2, 30, 30, 24] }, { shape: [24, 40] }],
    fn: (x, w) => tf.matMul(tf.reshape<tf.Rank.R2>(x, [-1, 24]), w),
  },
  {
    name: 'dense layer over 72 pixels (stock BatchMatMul)',
    inputs: [{ shape: [2, 6, 6, 24] }, { shape: [24, 40] }],
    fn: (x, w) => tf.matMul(tf.reshape<tf.Rank.R2>(x, [-1, 24]), w),
  },
  {
    name: 'channels-first convolution (falls back)',
    inputs: [{ shape: [2, 8, 6, 6] }, { shape: [3, 3, 8, 16] }],
    fn: (x, w) => tf.conv2d(x as tf.Tensor4D, t4(w), 1, 'same', 'NCHW'),
    fallsBack: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  },
  {
    name: 'depthwise with two filters per channel (falls back)',
    inputs: [{ shape: [2, 6, 6, 8] }, { shape: [3, 3, 8, 2] }],
    fn: (x, w) => tf.depthwiseConv2d(t4(x), t4(w), 1, 'same'),
    fallsBack: ['DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'],
  },
];

const KERNELS: Kernel[] = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];
const LIMIT = 1e-3;

async function onBackend(backend: 'cpu' | 'webgpu', c: Case): Promise<Outputs> {
  await tf.setBackend(backend);
  return run(c.name, c.inputs, (x, w) => c.fn(x, w));
}

beforeAll(async () => {
  await selectBackend('webgpu', { quiet: true });
  // The reference: the cpu backend as Tim trains on it, whose filter gradients are its own loops
  // (tfjs's take about a minute for one of ResNet's 512-channel layers).
  enableTraining('cpu');
  await tf.setBackend('cpu');
});

afterAll(() => releaseWebGpu());

describe("Tim's webgpu convolution gradients against the cpu backend", () => {
  it('are the kernels the webgpu backend runs', () => {
    expect(registeredKernels('webgpu')).toEqual(expect.arrayContaining(KERNELS));
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const want = await onBackend('cpu', c);
    const before = tf.memory();
    const fallbacksBefore = webgpuKernelFallbacks();
    const got = await onBackend('webgpu', c);
    // No tensor and no backend buffer (the split-K partial sums) outlives the step.
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    const fallbacksAfter = webgpuKernelFallbacks();
    const moved = KERNELS.filter((k) => (fallbacksAfter[k] ?? 0) > (fallbacksBefore[k] ?? 0));
    expect(moved).toEqual(c.fallsBack ?? []);
    const row = compare(c.name, got, want);
    expect(row.forward).toBeLessThanOrEqual(LIMIT);
    expect(row.gradient).not.toBeNull();
    expect(row.gradient).toBeLessThanOrEqual(LIMIT);
  });

  it('undoes the folded grid of a depthwise input gradient larger than 65,535 workgroups', async () => {
    // dx of 1×257×256×64 values is 65,792 workgroups of 64, as at 112 px, batch 32: tfjs folds the
    // grid into a square. With a 1×1 filter, dx = dy · w per channel, which the cpu computes quickly.
    const dyValues = values({ shape: [1, 257, 256, 64] }, 'folded:dy');
    const wValues = values({ shape: [1, 1, 64, 1] }, 'folded:w');
    const attrs = { strides: 1, pad: 'valid', dilations: 1, inputShape: [1, 257, 256, 64] };
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => tf.mul(tf.tensor4d(dyValues, [1, 257, 256, 64]), tf.tensor1d(wValues)));
    const want = await expected.data();
    expected.dispose();
    await tf.setBackend('webgpu');
    const dy = tf.tensor4d(dyValues, [1, 257, 256, 64]);
    const w = tf.tensor4d(wValues, [1, 1, 64, 1]);
    const before = webgpuKernelFallbacks().DepthwiseConv2dNativeBackpropInput ?? 0;
    const dx = tf.engine().runKernel<tf.Tensor>('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, attrs);
    const got = await dx.data();
    tf.dispose([dy, w, dx]);
    expect(webgpuKernelFallbacks().DepthwiseConv2dNativeBackpropInput ?? 0).toBe(before);
    expect(relativeError(Array.from(got), Array.from(want))).toBeLessThanOrEqual(1e-6);
  });
});
