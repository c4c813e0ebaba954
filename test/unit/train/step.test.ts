import * as tf from '@tensorflow/tfjs';
import { registerFastCpuTrainingKernels } from '../../../src/runtime/tim-kernels';
import { balancedClassWeights } from '../../../src/train/loss';
import { batchGradients, type StepModel, stepTotals } from '../../../src/train/step';
import { memorySource, tinyModel } from './helpers';

// Training runs: slow on a shared 2-core machine.
jest.setTimeout(180_000);

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerFastCpuTrainingKernels();
});

describe('gradient accumulation', () => {
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
