import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { balancedAccuracy, confusionMatrix } from '../../../src/evaluate/metrics';
import { evaluateRun } from '../../../src/evaluate/evaluate-run';
import { parseCsv } from '../../../src/io/csv';
import { metricsCases } from '../../support/goldens/cases/sklearn-metrics';
import { loadGolden } from '../../support/goldens/golden';
import { runTim } from '../../support/cli';
import { tmpDir } from '../../support/tmp';
import { CLASSES, makeDataset, makeRun } from './run-fixture';

jest.setTimeout(60_000);

test("balanced accuracy equals scikit-learn's balanced_accuracy_score to 1e-12", () => {
  const cases = metricsCases();
  const ref = loadGolden('sklearn-balanced-accuracy').json<{ cases: { balanced_accuracy: number }[] }>('balanced-accuracy.json').cases;
  expect(ref).toHaveLength(cases.length);
  cases.forEach((c, i) => {
    const got = balancedAccuracy(confusionMatrix(c.y_true, c.y_pred, c.num_classes));
    expect([i, Math.abs(got - ref[i]!.balanced_accuracy) <= 1e-12]).toEqual([i, true]);
  });
});

describe('evaluate --logit-adjust TAU', () => {
  let tmp: ReturnType<typeof tmpDir>;
  beforeAll(() => {
    tmp = tmpDir();
  });
  afterAll(() => tmp.cleanup());

  it("predicts argmax(log p − tau·log pi) with the run's training priors, beside the plain metrics", async () => {
    const split = await makeDataset(path.join(tmp.dir, 'data'), 3);
    // A long-tailed training split (5 : 2 : 1); its files are never opened, only counted.
    const firstOf = (label: number) => split.train.find((it) => it.label === label)!;
    const skewed = { ...split, train: [5, 2, 1].flatMap((n, label) => Array.from({ length: n }, () => firstOf(label))) };
    const counts = CLASSES.map((_, c) => skewed.train.filter((it) => it.label === c).length);
    expect(counts).toEqual([5, 2, 1]);
    const runDir = path.join(tmp.dir, 'run');
    await makeRun(runDir, skewed, { resize: 'stretch', seed: 9 });
    const before = tf.memory().numTensors;
    const plain = await evaluateRun(runDir, { bootstrap: 10, progress: false });
    const tau = 2;
    const adjusted = await evaluateRun(runDir, { bootstrap: 10, progress: false, logitAdjust: tau });
    expect(tf.memory().numTensors).toBe(before);

    expect(adjusted.outDir).toBe(path.join(runDir, 'logit-adjust-2'));
    expect(adjusted.metrics.logit_adjust).toEqual({ tau, priors: Object.fromEntries(CLASSES.map((c, i) => [c, counts[i]! / 8])) });
    expect(plain.metrics.logit_adjust).toBeUndefined();
    // The run's own metrics.json is the plain evaluation.
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'metrics.json'), 'utf8'))).toMatchObject({ accuracy: plain.metrics.accuracy });

    // Independently, from the plain probabilities (three classes: predictions.csv's top 3 is all of them).
    const probsOf = (dir: string): Map<string, number[]> =>
      new Map(parseCsv(fs.readFileSync(path.join(dir, 'predictions.csv'), 'utf8')).slice(1).map((r) => [r[0]!, CLASSES.map((c) => Number(r[r.indexOf(c, 4) + 1]))]));
    const plainProbs = probsOf(runDir);
    const adjustedRows = parseCsv(fs.readFileSync(path.join(adjusted.outDir, 'predictions.csv'), 'utf8')).slice(1);
    let changed = 0;
    for (const r of adjustedRows) {
      const scores = plainProbs.get(r[0]!)!.map((p, c) => Math.log(p) - tau * Math.log(counts[c]! / 8));
      const want = CLASSES[scores.indexOf(Math.max(...scores))];
      expect(r[2]).toBe(want);
      if (want !== CLASSES[plainProbs.get(r[0]!)!.indexOf(Math.max(...plainProbs.get(r[0]!)!))]) changed++;
    }
    // Rare classes gain: the fixture's model is untrained, so some predictions move.
    expect(changed).toBeGreaterThan(0);
    expect(adjusted.metrics.balanced_accuracy).toBeGreaterThanOrEqual(0);
  });

  it('refuses a negative tau in one line', async () => {
    const neg = await runTim(['evaluate', '--run', 'nowhere', '--logit-adjust', '-1']);
    expect(neg.code).not.toBe(0);
    expect(neg.stderr.trim()).toBe('tim: --logit-adjust: expected a number >= 0 (tau), got -1');
  });
});
