import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { balancedClassWeights, sampleWeights, weightedLossSum } from '../../../src/train/loss';
import { tmpDir } from '../../support/tmp';

const SCRIPT = path.resolve(__dirname, '../../../scripts/train_torch_loss.py');

interface Case {
  num_classes: number;
  logits: number[][];
  labels: number[];
  label_smoothing: number;
  train_labels: number[];
}
interface Reference {
  smoothed_loss: number;
  class_weights: number[];
  weighted_loss: number;
}

function makeCases(): Case[] {
  const rng = seedrandom('train-loss');
  const int = (n: number): number => Math.floor(rng() * n);
  return Array.from({ length: 12 }, (_, c) => {
    const k = 2 + int(30);
    const n = 1 + int(40);
    const trainLabels = Array.from({ length: k * 3 + int(100) }, (_, i) => (i < k ? i : int(k)));
    return {
      num_classes: k,
      logits: Array.from({ length: n }, () => Array.from({ length: k }, () => (rng() - 0.5) * 8)),
      labels: Array.from({ length: n }, () => int(k)),
      label_smoothing: c % 3 === 0 ? 0 : rng() * 0.3,
      train_labels: trainLabels,
    };
  });
}

function reference(cases: Case[]): Reference[] {
  const { dir, cleanup } = tmpDir();
  try {
    const inFile = path.join(dir, 'in.json');
    const outFile = path.join(dir, 'out.json');
    fs.writeFileSync(inFile, JSON.stringify({ cases }));
    execFileSync('/usr/bin/python3', [SCRIPT, inFile, outFile], { stdio: 'pipe' });
    return (JSON.parse(fs.readFileSync(outFile, 'utf8')) as { cases: Reference[] }).cases;
  } finally {
    cleanup();
  }
}

function loss(c: Case, smoothing: number, classWeights?: number[]): number {
  return tf.tidy(() => {
    const w = sampleWeights(c.labels, classWeights);
    const norm = w.reduce((a, b) => a + b, 0);
    return weightedLossSum(tf.tensor2d(c.logits), tf.tensor1d(c.labels, 'int32'), tf.tensor1d(w), norm, { numClasses: c.num_classes, labelSmoothing: smoothing }).dataSync()[0] as number;
  });
}

describe('loss and class weights match PyTorch and scikit-learn', () => {
  const cases = makeCases();
  const refs = reference(cases);

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
