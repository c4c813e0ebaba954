import * as tf from '@tensorflow/tfjs';
import { RunFolder } from '../../../src/io/run-folder';
import { groupVariables } from '../../../src/models';
import { trainedGroups } from '../../../src/train/groups';
import { adjustProbabilities, classPriors, logitAdjustment } from '../../../src/train/logit-adjust';
import { balancedClassWeights, sampleWeights, softTargetCrossEntropy, softTargetNorm, weightedLossSum } from '../../../src/train/loss';
import { batchGradients, stepTotals } from '../../../src/train/step';
import { trainingLogitAdjustment } from '../../../src/train/train';
import { createTrainer } from '../../../src/train/trainer';
import { log } from '../../../src/core/log';
import { logitAdjustCases, type LogitAdjustCase as Case } from '../../support/goldens/cases/logit-adjust';
import { loadGolden } from '../../support/goldens/golden';
import { memorySource, testConfig, tinyModel } from './helpers';

interface Reference {
  priors: number[];
  loss: number;
  weighted_loss: number;
  posthoc_probs: number[][];
  posthoc_pred: number[];
}

const cases = logitAdjustCases();
const refs = loadGolden('torch-logit-adjust').json<{ cases: Reference[] }>('logit-adjust.json').cases;
const names = (k: number): string[] => Array.from({ length: k }, (_, i) => `artist ${i}`);

function adjustedLoss(c: Case, smoothing: number, classWeights?: number[]): number {
  const adjust = logitAdjustment(classPriors(c.train_labels, names(c.num_classes), 'test'), c.tau);
  return tf.tidy(() => {
    const w = sampleWeights(c.labels, classWeights);
    const norm = w.reduce((a, b) => a + b, 0);
    const opts = { numClasses: c.num_classes, labelSmoothing: smoothing, logitAdjustment: adjust };
    return weightedLossSum(tf.tensor2d(c.logits), tf.tensor1d(c.labels, 'int32'), tf.tensor1d(w), norm, opts).dataSync()[0] as number;
  });
}

describe('logit adjustment matches PyTorch (Menon et al. 2021)', () => {
  it('the priors are the training split\'s class frequencies', () => {
    cases.forEach((c, i) => {
      const priors = classPriors(c.train_labels, names(c.num_classes), 'test');
      priors.forEach((p, j) => expect(p).toBeCloseTo((refs[i] as Reference).priors[j] as number, 12));
    });
  });

  it('the loss equals F.cross_entropy(logits + tau·log pi), with label smoothing and with class weights', () => {
    cases.forEach((c, i) => {
      const r = refs[i] as Reference;
      expect(adjustedLoss(c, c.label_smoothing)).toBeCloseTo(r.loss, 4);
      expect(adjustedLoss(c, 0, balancedClassWeights(c.train_labels, c.num_classes))).toBeCloseTo(r.weighted_loss, 4);
    });
  });

  it('with mixup\'s soft targets the adjustment applies too: one-hot targets give PyTorch\'s weighted adjusted loss', () => {
    const before = tf.memory().numTensors;
    cases.forEach((c, i) => {
      const r = refs[i] as Reference;
      const weights = balancedClassWeights(c.train_labels, c.num_classes);
      const adjust = logitAdjustment(classPriors(c.train_labels, names(c.num_classes), 'test'), c.tau);
      const loss = tf.tidy(() => {
        const q = tf.oneHot(tf.tensor1d(c.labels, 'int32'), c.num_classes).toFloat() as tf.Tensor2D;
        const perSample = softTargetCrossEntropy(tf.tensor2d(c.logits), q, weights, adjust);
        return tf.div(tf.sum(perSample), softTargetNorm(q, weights)).dataSync()[0] as number;
      });
      expect(loss).toBeCloseTo(r.weighted_loss, 4);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the post-hoc probabilities equal softmax(logits − tau·log pi), and their argmax the adjusted prediction', () => {
    cases.forEach((c, i) => {
      const r = refs[i] as Reference;
      const k = c.num_classes;
      const probs = tf.tidy(() => tf.softmax(tf.tensor2d(c.logits)).dataSync() as Float32Array);
      const adjusted = adjustProbabilities(probs, classPriors(c.train_labels, names(k), 'test'), c.tau);
      r.posthoc_probs.forEach((row, n) => {
        row.forEach((p, j) => expect(Math.abs((adjusted[n * k + j] as number) - p)).toBeLessThan(2e-6));
        const got = Array.from(adjusted.subarray(n * k, (n + 1) * k));
        expect(got.indexOf(Math.max(...got))).toBe(r.posthoc_pred[n]);
      });
    });
  });

  it('refuses a class without training images, naming it', () => {
    expect(() => classPriors([0, 0, 2], ['Monet', 'Manet', 'Degas'], 'train.loss logit_adjusted')).toThrow(/train.loss logit_adjusted: .*'Manet' has no training images/);
  });

  it('does not leak tensors', () => {
    const before = tf.memory().numTensors;
    adjustedLoss(cases[1] as Case, 0.1);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('train.loss', () => {
  it('is cross_entropy by default, with tau 1; an unknown loss is an error naming the key', () => {
    expect(testConfig().train.loss).toBe('cross_entropy');
    expect(testConfig().train.tau).toBe(1);
    expect(() => testConfig({ loss: 'focal' })).toThrow(/train\.loss/);
    expect(() => testConfig({ loss: 'logit_adjusted', tau: -1 })).toThrow(/train\.tau/);
  });

  it("logit_adjusted takes the priors from the run's training split; with balanced class weights it warns of over-correcting", () => {
    const split = { root: 'unused', seed: 1, val_fraction: 0.2, classes: ['Monet', 'Manet', 'Degas'], val: [], train: [0, 0, 0, 1, 2, 2].map((label, i) => ({ path: `${i}.jpg`, label })) };
    expect(trainingLogitAdjustment(testConfig(), split)).toBeUndefined();
    const adjust = trainingLogitAdjustment(testConfig({ loss: 'logit_adjusted', tau: 2 }), split) as number[];
    [3 / 6, 1 / 6, 2 / 6].forEach((p, i) => expect(adjust[i]).toBeCloseTo(2 * Math.log(p), 12));
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    try {
      trainingLogitAdjustment(testConfig({ loss: 'logit_adjusted' }), split);
      expect(warn).not.toHaveBeenCalled();
      trainingLogitAdjustment(testConfig({ loss: 'logit_adjusted', class_weights: 'balanced' }), split);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/over-correct/));
    } finally {
      warn.mockRestore();
    }
  });

  it("logit_adjusted: a training step's loss is the cross-entropy of logits + tau·log pi", async () => {
    const tm = tinyModel(3, 8);
    const cfg = testConfig({ loss: 'logit_adjusted', tau: 1.5 });
    const source = memorySource({ n: 6, classes: 3, size: 8, batchSize: 6, seed: 4 });
    const adjust = logitAdjustment([0.6, 0.3, 0.1], 1.5);
    const trainer = createTrainer({
      tm,
      train: cfg.train,
      // Inference mode (a frozen backbone): the step's forward pass is then deterministic.
      groups: trainedGroups(groupVariables(tm, 'early'), { freezeBackbone: true, lrGroups: cfg.train.lr_groups }),
      freezeBackbone: true,
      trainSource: source,
      numClasses: 3,
      microBatch: 6,
      logitAdjustment: adjust,
      run: new RunFolder('unused'),
    });
    for await (const batch of source.batches(0)) {
      const step = batchGradients(trainer.phases.all.stepModel, batch.x, batch.y);
      tf.dispose(Object.values(step.grads));
      const { loss } = await stepTotals(step.totals);
      // Independently: -log softmax(logits + adjust)[label], averaged, in float64.
      const logits = tf.tidy(() => (tm.model.apply(batch.x, { training: false }) as tf.Tensor2D).arraySync());
      const labels = Array.from(batch.y.dataSync());
      const want = logits.reduce((sum, row, n) => {
        const z = row.map((v, j) => v + (adjust[j] as number));
        const max = Math.max(...z);
        const lse = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
        return sum + lse - (z[labels[n] as number] as number);
      }, 0) / labels.length;
      expect(loss).toBeCloseTo(want, 4);
      tf.dispose([batch.x, batch.y]);
    }
    tm.model.dispose();
  });
});

