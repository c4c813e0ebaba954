import * as tf from '@tensorflow/tfjs';
import { balancedClassWeights, sampleWeights, weightedLossSum } from '../../../src/train/loss';
import { lossCases, type LossCase as Case } from '../../support/goldens/cases/torch-loss';
import { loadGolden } from '../../support/goldens/golden';

interface Reference {
  smoothed_loss: number;
  class_weights: number[];
  weighted_loss: number;
}

function reference(): Reference[] {
  return loadGolden('torch-loss').json<{ cases: Reference[] }>('losses.json').cases;
}

function loss(c: Case, smoothing: number, classWeights?: number[]): number {
  return tf.tidy(() => {
    const w = sampleWeights(c.labels, classWeights);
    const norm = w.reduce((a, b) => a + b, 0);
    return weightedLossSum(tf.tensor2d(c.logits), tf.tensor1d(c.labels, 'int32'), tf.tensor1d(w), norm, { numClasses: c.num_classes, labelSmoothing: smoothing }).dataSync()[0] as number;
  });
}

describe('loss and class weights match PyTorch and scikit-learn', () => {
  const cases = lossCases();
  const refs = reference();

  it('label-smoothed cross-entropy equals F.cross_entropy(label_smoothing=s)', () => {
    cases.forEach((c, i) => expect(loss(c, c.label_smoothing)).toBeCloseTo((refs[i] as Reference).smoothed_loss, 4));
  });

  it("balanced class weights equal compute_class_weight('balanced'), and the weighted loss PyTorch's weighted mean", () => {
    cases.forEach((c, i) => {
      const r = refs[i] as Reference;
      const w = balancedClassWeights(c.train_labels, c.num_classes);
      w.forEach((v, j) => expect(v).toBeCloseTo(r.class_weights[j] as number, 10));
      expect(loss(c, 0, w)).toBeCloseTo(r.weighted_loss, 4);
    });
  });

  it('rejects a class without training images', () => {
    expect(() => balancedClassWeights([0, 0, 2], 3)).toThrow(/class 1 has no images/);
  });

  it('does not leak tensors', () => {
    const before = tf.memory().numTensors;
    loss(cases[0] as Case, 0.1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
