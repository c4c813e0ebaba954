import * as tf from '@tensorflow/tfjs';
import { loadWasmForTraining } from '../../packages/tfjs-training/test/support/wasm';
import { enableTraining, timKernelAvailable } from '@tim/tfjs-training';

export interface FusedActivationCase {
  /** Tim's kernel (its gradient kernel is this name with 'Grad' after it). */
  kernelName: string;
  /** The op under test, as models call it. */
  op: (x: tf.Tensor) => tf.Tensor;
  /** tfjs's own composition of the same function, the reference. */
  composed: (x: tf.Tensor) => tf.Tensor;
  /** Inputs run over [−limit, limit]: far enough that the function is x or 0 in float32 at the ends. */
  limit: number;
  /** A stock kernel of the composition that the fused op must not run. */
  replacedKernel: string;
}

const loss = (f: (v: tf.Tensor) => tf.Tensor) => (v: tf.Tensor): tf.Scalar => tf.sum(tf.mul(f(v), tf.sin(v)));

/** The tests every fused activation passes on wasm: the composed values and gradients, one kernel each way. */
export function describeFusedActivationOnWasm(c: FusedActivationCase): void {
  describe('on wasm, one fused kernel each way', () => {
    beforeAll(async () => {
      expect(loadWasmForTraining()).toBe(true);
      enableTraining('cpu');
      await tf.setBackend('wasm');
    });
    afterAll(async () => {
      await tf.setBackend('cpu');
    });

    it('gives the composed values and gradients, a length not in fours included, and leaks nothing', () => {
      expect(timKernelAvailable(c.kernelName)).toBe(true);
      // 4·250 + 1 values: groups of four and a tail.
      const x = tf.linspace(-c.limit, c.limit, 1001);
      const before = tf.memory().numTensors;
      const [value, grad] = tf.tidy(() => [
        tf.max(tf.abs(tf.sub(c.op(x), c.composed(x)))).dataSync()[0],
        tf.max(tf.abs(tf.sub(tf.grad(loss(c.op))(x), tf.grad(loss(c.composed))(x)))).dataSync()[0],
      ]);
      // Relative to the largest value, about the limit: a few float32 roundings apart.
      expect(value).toBeLessThan(c.limit * 1e-6);
      expect(grad).toBeLessThan(1e-5);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });

    it('runs as one kernel forward and one backward', async () => {
      const x = tf.randomNormal([8, 64]);
      const { kernelNames } = await tf.profile(() => tf.dispose(tf.grad((v: tf.Tensor) => tf.sum(c.op(v)))(x)));
      expect(kernelNames.filter((k) => k.startsWith(c.kernelName)).sort()).toEqual([c.kernelName, `${c.kernelName}Grad`]);
      expect(kernelNames).not.toContain(c.replacedKernel);
      x.dispose();
    });
  });
}
