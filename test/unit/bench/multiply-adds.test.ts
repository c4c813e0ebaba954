import * as tf from '@tensorflow/tfjs';
import { instrumentKernels } from '../../../bench/kernel-profile';
import { kernelTable } from '../../../src/cli/commands/bench';

describe('kernel profile multiply-adds', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('counts a convolution, both its gradients and a matrix product as the direct algorithm does', async () => {
    await tf.setBackend('cpu');
    const profiler = instrumentKernels('cpu');
    const before = tf.memory().numTensors;
    try {
      const [n, h, w, ci, co, k] = [2, 6, 5, 4, 8, 3];
      tf.tidy(() => {
        const x = tf.randomNormal<tf.Rank.R4>([n, h, w, ci], 0, 1, 'float32', 1);
        const f = tf.randomNormal<tf.Rank.R4>([k, k, ci, co], 0, 1, 'float32', 2);
        // 'same' and stride 1: n·h·w·co outputs of k·k·ci multiply-adds each; stride 2 'valid' next.
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same').sum())([x, f]);
        tf.conv2d(x, f, 2, 'valid');
        tf.matMul(tf.ones([3, 7]), tf.ones([7, 5]));
      });
      const byName = new Map(profiler.read().map((t) => [t.kernel, t]));
      const same = n * h * w * co * k * k * ci;
      const strided = n * Math.floor((h - k) / 2 + 1) * Math.floor((w - k) / 2 + 1) * co * k * k * ci;
      expect(byName.get('Conv2D')?.macs).toBe(same + strided);
      expect(byName.get('Conv2DBackpropInput')?.macs).toBe(same);
      expect(byName.get('Conv2DBackpropFilter')?.macs).toBe(same);
      expect(byName.get('BatchMatMul')?.macs).toBe(3 * 5 * 7);
      expect(byName.get('Sum')?.macs).toBeUndefined();
    } finally {
      profiler.restore();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('prints the rate in billions of multiply-adds per second, blank where not counted', () => {
    const table = kernelTable(
      [
        { kernel: 'FusedConv2D', calls: 4, ms: 500, macs: 20e9 },
        { kernel: 'Relu', calls: 4, ms: 20 },
      ],
      2,
    );
    expect(table.split('\n')).toEqual([
      '| kernel | calls/step | ms/step | share | GMAC/s |',
      '| --- | --- | --- | --- | --- |',
      '| FusedConv2D | 2 | 250.0 | 96.2% | 40.0 |',
      '| Relu | 2 | 10.0 | 3.8% |  |',
    ]);
  });
});
