import * as tf from '@tensorflow/tfjs';
import { mixupTargets } from '../../../src/data';
import { enableTraining } from '@tim/tfjs-training';
import { softTargetCrossEntropy, softTargetNorm } from '../../../src/train/loss';
import { batchGradients, type StepModel, stepTotals } from '../../../src/train/step';
import { softLossCases } from '../../support/goldens/cases/timm-mixup';
import { loadGolden } from '../../support/goldens/golden';
import { memorySource, tinyModel } from './helpers';

// Training runs: slow on a shared 2-core machine.
jest.setTimeout(120_000);

interface SoftLossRef {
  per_sample: number[];
  per_sample_weighted: number[];
  mean: number;
  hard_weighted_mean?: number;
}

const ref = loadGolden('timm-mixup').json<{ soft_loss: SoftLossRef[] }>('mixup.json').soft_loss;

/** A tensor's values, the tensor disposed. */
function read(t: tf.Tensor1D): number[] {
  const v = t.arraySync();
  t.dispose();
  return v;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  enableTraining('cpu');
});

describe('soft-target cross-entropy', () => {
  it('matches F.cross_entropy with probability targets, per sample, with and without weight=', () => {
    const before = tf.memory().numTensors;
    softLossCases().forEach((c, k) => {
      const want = ref[k];
      const logits = tf.tensor2d(c.logits);
      const q = tf.tensor2d(c.targets);
      const plain = read(softTargetCrossEntropy(logits, q));
      const weighted = read(softTargetCrossEntropy(logits, q, c.weights));
      plain.forEach((v, i) => expect(v).toBeCloseTo(want?.per_sample[i] ?? NaN, 4));
      weighted.forEach((v, i) => expect(v).toBeCloseTo(want?.per_sample_weighted[i] ?? NaN, 4));
      // Without weights a batch's loss is PyTorch's mean.
      const norm = softTargetNorm(q);
      expect(plain.reduce((s, v) => s + v, 0) / norm.arraySync()).toBeCloseTo(want?.mean ?? NaN, 4);
      // With one-hot targets and weights it is PyTorch's weighted mean over class indices.
      if (want?.hard_weighted_mean !== undefined) {
        const wnorm = softTargetNorm(q, c.weights);
        expect(weighted.reduce((s, v) => s + v, 0) / wnorm.arraySync()).toBeCloseTo(want.hard_weighted_mean, 4);
        wnorm.dispose();
      }
      tf.dispose([logits, q, norm]);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trains on soft targets: the step’s loss is the weighted soft loss, the same over micro-batches', async () => {
    const tm = tinyModel(3, 16);
    const source = memorySource({ n: 10, classes: 3, size: 16, batchSize: 10, seed: 3 });
    const batch = (await source.batches(0)[Symbol.asyncIterator]().next()).value as { x: tf.Tensor4D; y: tf.Tensor1D };
    const labels = Array.from(batch.y.dataSync());
    const classWeights = [0.5, 1.5, 2];
    const targets = tf.tensor2d(mixupTargets(labels, 3, 0.3, 0.1), [10, 3]);
    const model = (micro: number): StepModel => ({
      model: tm.model,
      variables: tm.model.trainableWeights.map((v) => v.read() as tf.Variable),
      training: false,
      microBatch: micro,
      loss: { numClasses: 3, classWeights },
    });
    const before = tf.memory().numTensors;
    const full = batchGradients(model(10), batch.x, batch.y, targets);
    const split = batchGradients(model(4), batch.x, batch.y, targets);
    const [a, b] = [await stepTotals(full.totals), await stepTotals(split.totals)];
    const want = tf.tidy(() => {
      const logits = tm.model.apply(batch.x, { training: false }) as tf.Tensor2D;
      return tf.sum(softTargetCrossEntropy(logits, targets, classWeights)).div(softTargetNorm(targets, classWeights)).arraySync() as number;
    });
    expect(a.loss).toBeCloseTo(want, 5);
    expect(b.loss).toBeCloseTo(want, 5);
    expect(b.correct).toBe(a.correct);
    for (const name of Object.keys(full.grads)) {
      const g = (full.grads[name] as tf.Tensor).dataSync();
      const h = (split.grads[name] as tf.Tensor).dataSync();
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < g.length; i++) {
        scale = Math.max(scale, Math.abs(g[i] ?? 0));
        diff = Math.max(diff, Math.abs((g[i] ?? 0) - (h[i] ?? 0)));
      }
      expect(diff).toBeLessThanOrEqual(1e-4 * scale);
    }
    tf.dispose([...Object.values(full.grads), ...Object.values(split.grads)]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch.x, batch.y, targets]);
    tm.model.dispose();
  });
});
