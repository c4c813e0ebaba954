import * as tf from '@tensorflow/tfjs';
import { relativeError } from '../support/relative-error';
import { enableTraining } from '../../src/enable-training';

type Case = { x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]] };

const CASES: Case[] = [
  { x: [2, 9, 7, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { x: [2, 9, 8, 4], f: [3, 3, 4, 6], stride: 2, pad: 'same' },
  { x: [1, 10, 10, 2], f: [5, 5, 2, 3], stride: 2, pad: 'valid' },
  { x: [2, 6, 6, 3], f: [1, 1, 3, 4], stride: 1, pad: 'valid' },
  { x: [1, 7, 9, 2], f: [3, 3, 2, 2], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
];

function grads(c: Case, depthwise: boolean): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal<tf.Rank.R4>(c.x, 0, 1, 'float32', 7);
    const fshape: [number, number, number, number] = depthwise ? [c.f[0], c.f[1], c.x[3], 2] : c.f;
    const w = tf.randomNormal<tf.Rank.R4>(fshape, 0, 1, 'float32', 8);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor =>
      tf.sum(tf.square(depthwise ? tf.depthwiseConv2d(a, b, c.stride, c.pad) : tf.conv2d(a, b, c.stride, c.pad)));
    const [gx, gw] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
    return [(gx as tf.Tensor).dataSync() as Float32Array, (gw as tf.Tensor).dataSync() as Float32Array];
  });
}

describe('fast cpu filter-gradient kernels', () => {
  it('give the same gradients as tfjs own kernels', async () => {
    await tf.setBackend('cpu');
    const before = [...CASES.map((c) => grads(c, false)), ...CASES.filter((c) => typeof c.pad === 'string').map((c) => grads(c, true))];
    const original = tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc;
    enableTraining('cpu');
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc).not.toBe(original);
    const after = [...CASES.map((c) => grads(c, false)), ...CASES.filter((c) => typeof c.pad === 'string').map((c) => grads(c, true))];
    expect(after).toHaveLength(before.length);
    before.forEach((b, i) => {
      const a = after[i] as Float32Array[];
      expect(a[1]?.length).toBe(b[1]?.length);
      expect(relativeError(a[1] as Float32Array, b[1] as Float32Array)).toBeLessThan(1e-5);
      expect(relativeError(a[0] as Float32Array, b[0] as Float32Array)).toBe(0);
    });
  });
});
