import * as tf from '@tensorflow/tfjs';
import { enableTraining } from '@tim/tfjs-training';
import { balancedClassWeights } from '../../../src/train/loss';
import { balancedMicroBatch, batchGradients, microBatchSizes, type StepModel, stepTotals } from '../../../src/train/step';
import { memorySource, tinyModel } from './helpers';

// Training runs: slow on a shared 2-core machine.
jest.setTimeout(180_000);

beforeAll(async () => {
  await tf.setBackend('cpu');
  enableTraining('cpu');
});

describe('gradient accumulation', () => {
  it('cuts a batch into as few micro-batches under the limit as it can, their sizes at most one apart', () => {
    const cases: [number, number, number[]][] = [
      [27, 32, [16, 16]],
      [20, 32, [16, 16]],
      [16, 32, [16, 16]],
      [15, 32, [11, 11, 10]],
      [8, 32, [8, 8, 8, 8]],
      [27, 20, [20]],
      [40, 32, [32]],
      [3, 10, [3, 3, 2, 2]],
      [1, 3, [1, 1, 1]],
    ];
    for (const [limit, batch, expected] of cases) {
      const sizes = microBatchSizes(limit, batch);
      expect([limit, batch, sizes]).toEqual([limit, batch, expected]);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(batch);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(limit);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(balancedMicroBatch(limit, batch)).toBe(Math.max(...sizes));
    }
  });

  it('micro-batches give the full batch gradient and loss, also with class weights and label smoothing', async () => {
    const tm = tinyModel(3, 16);
    const source = memorySource({ n: 10, classes: 3, size: 16, batchSize: 10, seed: 2 });
    const batch = (await source.batches(0)[Symbol.asyncIterator]().next()).value as { x: tf.Tensor4D; y: tf.Tensor1D };
    const classWeights = balancedClassWeights([0, 0, 0, 1, 2, 2], 3);
    // Inference mode: BatchNorm uses its moving statistics, so the split cannot change the function.
    const model = (micro: number): StepModel => ({
      model: tm.model,
      variables: tm.model.trainableWeights.map((v) => v.read() as tf.Variable),
      training: false,
      microBatch: micro,
      loss: { numClasses: 3, labelSmoothing: 0.1, classWeights },
    });
    const before = tf.memory().numTensors;
    const full = batchGradients(model(10), batch.x, batch.y);
    const split = batchGradients(model(3), batch.x, batch.y);
    expect(split.count).toBe(10);
    const [fullTotals, splitTotals] = [await stepTotals(full.totals), await stepTotals(split.totals)];
    expect(splitTotals.correct).toBe(fullTotals.correct);
    expect(splitTotals.loss).toBeCloseTo(fullTotals.loss, 5);
    const names = Object.keys(full.grads);
    expect(names.length).toBe(tm.model.trainableWeights.length);
    for (const name of names) {
      const a = (full.grads[name] as tf.Tensor).dataSync();
      const b = (split.grads[name] as tf.Tensor).dataSync();
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < a.length; i++) {
        scale = Math.max(scale, Math.abs(a[i] as number));
        diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
      }
      expect(scale).toBeGreaterThan(0);
      expect(diff / scale).toBeLessThan(1e-4);
    }
    tf.dispose([...Object.values(full.grads), ...Object.values(split.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch.x, batch.y]);
    tm.model.dispose();
  });
});
