import * as tf from '@tensorflow/tfjs';
import { enableTraining } from '@tim/tfjs-training';
import { selectBackend } from '../../src/runtime/backend';
import { releaseWebGpu } from '../../src/runtime/webgpu/backend';
import { compare, type InputSpec, type Outputs, type ParityRow, recordRows, run } from './parity';

jest.setTimeout(300_000);

interface Case {
  name: string;
  inputs: InputSpec[];
  fn: (...xs: tf.Tensor[]) => tf.Tensor;
}

const t4 = (x: tf.Tensor) => x as tf.Tensor4D;
const img = (n: number, s: number, c: number): InputSpec => ({ shape: [n, s, s, c] });
const pos: [number, number] = [0.5, 1.5];

/**
 * Every kernel the three backbones, the augmentation, the loss and the CAMs use, on small
 * shapes, forward and (where it has one) gradient. The convolution shapes are those of the
 * backbones: ResNet's 7×7/2 stem and 3×3/2 and 1×1 convolutions, EfficientNet's 3×3 and 5×5
 * depthwise ones (stride 1 and 2) and squeeze-and-excitation, ConvNeXt's 4×4/4 stem, 2×2/2
 * downsampling and 7×7 depthwise convolution.
 */
const CASES: Case[] = [
  { name: 'conv2d 7x7 stride 2 (resnet stem)', inputs: [img(2, 16, 3), { shape: [7, 7, 3, 8] }], fn: (x, w) => tf.conv2d(t4(tf.pad(t4(x), [[0, 0], [3, 3], [3, 3], [0, 0]])), t4(w), 2, 'valid') },
  { name: 'conv2d 3x3 stride 1', inputs: [img(2, 8, 8), { shape: [3, 3, 8, 16] }], fn: (x, w) => tf.conv2d(t4(tf.pad(t4(x), [[0, 0], [1, 1], [1, 1], [0, 0]])), t4(w), 1, 'valid') },
  { name: 'conv2d 3x3 stride 2', inputs: [img(2, 8, 8), { shape: [3, 3, 8, 16] }], fn: (x, w) => tf.conv2d(t4(tf.pad(t4(x), [[0, 0], [1, 1], [1, 1], [0, 0]])), t4(w), 2, 'valid') },
  { name: 'conv2d 1x1', inputs: [img(2, 8, 16), { shape: [1, 1, 16, 24] }], fn: (x, w) => tf.conv2d(t4(x), t4(w), 1, 'valid') },
  { name: 'conv2d 1x1 stride 2 (resnet downsample)', inputs: [img(2, 8, 16), { shape: [1, 1, 16, 24] }], fn: (x, w) => tf.conv2d(t4(x), t4(w), 2, 'valid') },
  { name: 'conv2d 4x4 stride 4 (convnext stem)', inputs: [img(2, 16, 3), { shape: [4, 4, 3, 8] }], fn: (x, w) => tf.conv2d(t4(x), t4(w), 4, 'valid') },
  { name: 'conv2d 2x2 stride 2 (convnext downsample)', inputs: [img(2, 8, 8), { shape: [2, 2, 8, 16] }], fn: (x, w) => tf.conv2d(t4(x), t4(w), 2, 'valid') },
  { name: 'conv2d with bias', inputs: [img(2, 8, 8), { shape: [3, 3, 8, 8] }, { shape: [8] }], fn: (x, w, b) => tf.add(tf.conv2d(t4(x), t4(w), 1, 'same'), b) },
  { name: 'fused conv2d + bias + relu', inputs: [img(2, 8, 8), { shape: [3, 3, 8, 8] }, { shape: [8] }], fn: (x, w, b) => tf.fused.conv2d({ x: t4(x), filter: t4(w), strides: 1, pad: 'same', bias: b, activation: 'relu' }) },
  { name: 'depthwise 3x3 stride 1', inputs: [img(2, 8, 8), { shape: [3, 3, 8, 1] }], fn: (x, w) => tf.depthwiseConv2d(t4(tf.pad(t4(x), [[0, 0], [1, 1], [1, 1], [0, 0]])), t4(w), 1, 'valid') },
  { name: 'depthwise 3x3 stride 2', inputs: [img(2, 8, 8), { shape: [3, 3, 8, 1] }], fn: (x, w) => tf.depthwiseConv2d(t4(tf.pad(t4(x), [[0, 0], [1, 1], [1, 1], [0, 0]])), t4(w), 2, 'valid') },
  { name: 'depthwise 5x5 stride 2', inputs: [img(2, 12, 8), { shape: [5, 5, 8, 1] }], fn: (x, w) => tf.depthwiseConv2d(t4(tf.pad(t4(x), [[0, 0], [2, 2], [2, 2], [0, 0]])), t4(w), 2, 'valid') },
  { name: 'depthwise 7x7 (convnext)', inputs: [img(2, 8, 8), { shape: [7, 7, 8, 1] }], fn: (x, w) => tf.depthwiseConv2d(t4(tf.pad(t4(x), [[0, 0], [3, 3], [3, 3], [0, 0]])), t4(w), 1, 'valid') },
  { name: 'max pool 3x3 stride 2', inputs: [img(2, 9, 4)], fn: (x) => tf.maxPool(t4(tf.pad(t4(x), [[0, 0], [1, 1], [1, 1], [0, 0]])), 3, 2, 'valid') },
  { name: 'global average pool (mean over H, W)', inputs: [img(2, 5, 8)], fn: (x) => tf.mean(x, [1, 2]) },
  { name: 'matMul (dense)', inputs: [{ shape: [4, 16] }, { shape: [16, 8] }], fn: (a, b) => tf.matMul(a, b) },
  { name: 'matMul transposed (eigencam covariance)', inputs: [{ shape: [12, 6] }, { shape: [12, 6] }], fn: (a, b) => tf.matMul(a, b, true, false) },
  { name: 'fused matMul + bias', inputs: [{ shape: [4, 16] }, { shape: [16, 8] }, { shape: [8] }], fn: (a, b, c) => tf.fused.matMul({ a: a, b: b, bias: c }) },
  { name: 'batch norm (training statistics)', inputs: [img(4, 4, 8), { shape: [8] }, { shape: [8] }], fn: (x, g, b) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.batchNorm(x, mean, variance, b, g, 1e-5);
  } },
  { name: 'batch norm (moving statistics)', inputs: [img(2, 4, 8), { shape: [8], range: pos, grad: false }, { shape: [8] }, { shape: [8] }], fn: (x, v, g, b) => tf.batchNorm(x, tf.zerosLike(v), v, b, g, 1e-5) },
  { name: 'layer norm over channels (convnext)', inputs: [img(2, 4, 8), { shape: [8] }, { shape: [8] }], fn: (x, g, b) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-6))), g), b);
  } },
  { name: 'relu', inputs: [img(2, 4, 8)], fn: (x) => tf.relu(x) },
  { name: 'sigmoid', inputs: [img(2, 4, 8)], fn: (x) => tf.sigmoid(x) },
  { name: 'swish / silu (efficientnet)', inputs: [img(2, 4, 8)], fn: (x) => tf.mul(x, tf.sigmoid(x)) },
  { name: 'gelu via erf (convnext)', inputs: [img(2, 4, 8)], fn: (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))) },
  { name: 'squeeze-and-excitation scale (broadcast mul)', inputs: [img(2, 4, 8), { shape: [2, 1, 1, 8] }], fn: (x, s) => tf.mul(x, tf.sigmoid(s)) },
  { name: 'layer scale and residual add', inputs: [img(2, 4, 8), img(2, 4, 8), { shape: [8] }], fn: (x, y, g) => tf.add(x, tf.mul(y, g)) },
  { name: 'sub, div, square, sqrt, rsqrt', inputs: [img(2, 4, 8), { shape: [2, 4, 4, 8], range: pos }], fn: (x, y) => tf.add(tf.div(tf.square(tf.sub(x, 0.3)), tf.sqrt(y)), tf.rsqrt(y)) },
  { name: 'exp, log, neg', inputs: [{ shape: [4, 6], range: pos }], fn: (x) => tf.neg(tf.add(tf.exp(x), tf.log(x))) },
  { name: 'softmax', inputs: [{ shape: [4, 31] }], fn: (x) => tf.softmax(x) },
  { name: 'log softmax', inputs: [{ shape: [4, 31] }], fn: (x) => tf.logSoftmax(x) },
  { name: 'cross-entropy with label smoothing and weights (loss)', inputs: [{ shape: [4, 5] }, { shape: [4], dtype: 'int32', range: [0, 5] }, { shape: [4], range: pos }], fn: (l, y, w) => {
    const target = tf.add(tf.mul(tf.oneHot(tf.cast(y as tf.Tensor1D, 'int32'), 5).toFloat(), 0.9), 0.02);
    return tf.div(tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(l)), -1)), w)), tf.sum(w));
  } },
  { name: 'argMax == labels (accuracy)', inputs: [{ shape: [6, 5], grad: false }, { shape: [6], dtype: 'int32', range: [0, 5] }], fn: (l, y) => tf.sum(tf.cast(tf.equal(tf.argMax(l, -1), y), 'float32')) },
  { name: 'gather by class (class weights, CAM class target)', inputs: [{ shape: [5, 3] }, { shape: [6], dtype: 'int32', range: [0, 5] }], fn: (w, i) => tf.gather(w, i) },
  { name: 'slice, squeeze, stack, concat, addN', inputs: [{ shape: [3, 5] }, { shape: [3, 5] }], fn: (a, b) => tf.addN([tf.concat([a, b], 0), tf.stack([tf.squeeze(tf.slice(a, [1, 0], [1, -1]), [0]), tf.squeeze(tf.slice(b, [2, 0], [1, -1]), [0])]).tile([3, 1])]) },
  { name: 'transpose and reshape (score-cam channels)', inputs: [img(1, 4, 6)], fn: (x) => tf.reshape(tf.transpose(x, [3, 1, 2, 0]), [6, 16]) },
  { name: 'resize bilinear, half-pixel (CAM upsampling)', inputs: [img(2, 4, 3)], fn: (x) => tf.image.resizeBilinear(t4(x), [13, 13], false, true) },
  { name: 'min / max per image (CAM normalisation)', inputs: [{ shape: [2, 6, 6] }], fn: (x) => {
    const shifted = tf.sub(x, tf.min(x, [1, 2], true));
    return tf.div(shifted, tf.add(tf.max(shifted, [1, 2], true), 1e-7));
  } },
  { name: 'norm (eigencam power iteration)', inputs: [{ shape: [6, 1] }], fn: (v) => tf.div(v, tf.norm(v)) },
  { name: 'where and reverse (horizontal flip)', inputs: [img(2, 5, 3), { shape: [2, 1, 1, 1], dtype: 'bool' }], fn: (x, m) => tf.where(tf.broadcastTo(m, x.shape), tf.reverse(x, 2), x) },
  { name: 'rotation sampling: floor, gather, clip, logical and, compare', inputs: [{ shape: [2, 6, 6], range: [-1, 7], grad: false }, { shape: [72, 3] }], fn: (s, flat) => {
    const i = tf.floor(s);
    const inside = tf.logicalAnd(tf.greaterEqual(i, 0), tf.lessEqual(i, 5));
    const idx = tf.cast(tf.clipByValue(i, 0, 5), 'int32');
    const picked = tf.gather(flat, tf.cast(tf.reshape(tf.add(tf.mul(idx, 6), idx), [-1]), 'int32'));
    return tf.mul(picked, tf.reshape(tf.cast(inside, 'float32'), [-1, 1]));
  } },
  { name: 'colour jitter: grayscale blend and clip', inputs: [{ shape: [2, 4, 4, 3], range: [0, 1] }, { shape: [2, 1, 1, 1], range: pos }], fn: (x, f) => {
    const gray = tf.sum(tf.mul(x, tf.tensor1d([0.2989, 0.587, 0.114])), 3, true);
    return tf.clipByValue(tf.add(tf.mul(f, x), tf.mul(tf.sub(1, f), tf.mean(gray, [1, 2, 3], true))), 0, 1);
  } },
  { name: 'normalise (sub mean, div std)', inputs: [{ shape: [2, 4, 4, 3], range: [0, 1] }], fn: (x) => tf.div(tf.sub(x, tf.tensor1d([0.485, 0.456, 0.406])), tf.tensor1d([0.229, 0.224, 0.225])) },
  { name: 'Adam update (stock ops)', inputs: [{ shape: [32] }, { shape: [32] }, { shape: [32], range: pos }, { shape: [32] }], fn: (w, m, v, g) => {
    const m2 = tf.add(tf.mul(m, 0.9), tf.mul(g, 0.1));
    const v2 = tf.add(tf.mul(v, 0.999), tf.mul(tf.square(g), 0.001));
    return tf.sub(w, tf.mul(tf.div(m2, tf.add(tf.sqrt(v2), 1e-8)), 1e-3));
  } },
];

const LIMIT = 1e-3;

async function onBackend(backend: 'cpu' | 'webgpu', c: Case): Promise<Outputs> {
  await tf.setBackend(backend);
  return run(c.name, c.inputs, c.fn);
}

const rows: ParityRow[] = [];

beforeAll(async () => {
  await selectBackend('webgpu', { quiet: true });
  enableTraining('cpu');
  await tf.setBackend('cpu');
});

afterAll(() => {
  recordRows(rows);
  releaseWebGpu();
});

describe('webgpu kernels against the cpu backend', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const want = await onBackend('cpu', c);
    const before = tf.memory().numTensors;
    const got = await onBackend('webgpu', c);
    expect(tf.memory().numTensors).toBe(before);
    const row = compare(c.name, got, want);
    rows.push(row);
    expect(row.forward).toBeLessThanOrEqual(LIMIT);
    if (row.gradient !== null) expect(row.gradient).toBeLessThanOrEqual(LIMIT);
  });

  it('a synchronous read fails on this backend', async () => {
    await selectBackend('webgpu', { quiet: true });
    const t = tf.tensor1d([1, 2, 3]);
    expect(() => t.dataSync()).toThrow(/synchronous read .* on the webgpu backend/);
    expect(Array.from(await t.data())).toEqual([1, 2, 3]);
    t.dispose();
  });
});
