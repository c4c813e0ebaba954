import fc from 'fast-check';
import sharp from 'sharp';
import { reliabilityBins, reliabilitySvg } from '../../../src/evaluate/reliability';
import { calibrationScores, crossFitTemperature, TEMPERATURE_RANGE, energyScores, fitTemperature, softmaxWithTemperature, stratifiedHalves, temperatureNll } from '../../../src/evaluate/calibration';
import { bootstrapStatistic } from '../../../src/evaluate/bootstrap';
import { keepThreshold, rejectedShare, rocAuc, topProbabilities } from '../../../src/evaluate/unknown';
import { calibrationCases } from '../../support/goldens/cases/calibration';
import { loadGolden } from '../../support/goldens/golden';

interface Scores {
  ece: number;
  nll: number;
  brier: number;
}
interface Reference {
  logits: { temperature: number; nll_at_t: number; raw: Scores; scaled: Scores }[];
  auroc: number[];
}

const cases = calibrationCases();
const ref = loadGolden('calibration').json<Reference>('calibration.json');

describe('temperature scaling and its scores against PyTorch, numpy and scikit-learn (golden)', () => {
  it("fits the temperature PyTorch's LBFGS finds, within 1e-4", () => {
    expect(ref.logits).toHaveLength(cases.logits.length);
    cases.logits.forEach((c, i) => {
      const t = fitTemperature(c.logits.flat(), c.labels, c.num_classes);
      const want = ref.logits[i]!;
      expect(Math.abs(t - want.temperature)).toBeLessThan(1e-4);
      // The NLL at Tim's T is no worse than at PyTorch's: Tim finds the minimum, not a nearby point.
      expect(temperatureNll(c.logits.flat(), c.labels, c.num_classes, t)).toBeLessThanOrEqual(want.nll_at_t + 1e-12);
    });
  });

  it('ECE, NLL and Brier score match numpy and log_loss to 1e-9, before and after scaling', () => {
    cases.logits.forEach((c, i) => {
      const want = ref.logits[i]!;
      for (const [t, expected] of [
        [1, want.raw],
        [want.temperature, want.scaled],
      ] as const) {
        const got = calibrationScores(c.labels, softmaxWithTemperature(c.logits.flat(), c.num_classes, t), c.num_classes);
        for (const key of ['ece', 'nll', 'brier'] as const) expect(Math.abs(got[key] - expected[key])).toBeLessThan(1e-9);
      }
    });
  });

  it('AUROC matches roc_auc_score to 1e-9, ties included', () => {
    cases.auroc.forEach((c, i) => expect(Math.abs(rocAuc(c.known, c.unknown) - ref.auroc[i]!)).toBeLessThan(1e-9));
  });
});

describe('reliability diagram', () => {
  it("its bins give back the ECE that matches numpy's, and the SVG is a picture", async () => {
    cases.logits.forEach((c, i) => {
      const k = c.num_classes;
      const probs = softmaxWithTemperature(c.logits.flat(), k, 1);
      const conf = topProbabilities(probs, k);
      const correct = c.labels.map((y, r) => {
        const row = Array.from(probs.subarray(r * k, (r + 1) * k));
        return row.indexOf(Math.max(...row)) === y;
      });
      const bins = reliabilityBins(conf, correct);
      const n = c.labels.length;
      expect(bins.reduce((a, b) => a + b.count, 0)).toBe(n);
      const ece = bins.reduce((a, b) => a + (b.count / n) * Math.abs(b.accuracy - b.confidence), 0);
      expect(Math.abs(ece - ref.logits[i]!.raw.ece)).toBeLessThan(1e-9);
    });
    const c = cases.logits[0]!;
    const bins = reliabilityBins(topProbabilities(softmaxWithTemperature(c.logits.flat(), c.num_classes, 1), c.num_classes), c.labels.map(() => true));
    const png = await sharp(Buffer.from(reliabilitySvg(bins, bins, { before: 0.1, after: 0.05 }))).png().toBuffer();
    expect((await sharp(png).metadata()).width).toBeGreaterThan(400);
  });
});

describe('temperature bounds', () => {
  it('stops at the ends of its range when the NLL has no interior minimum', () => {
    // Every image right by a wide margin: sharper is always better.
    expect(fitTemperature([5, 0, 0, 5], [0, 1], 2)).toBe(TEMPERATURE_RANGE.min);
    // Labels against the logits: flatter is always better.
    expect(fitTemperature([5, 0, 0, 5], [1, 0], 2)).toBe(TEMPERATURE_RANGE.max);
  });
});

describe('cross-fitting', () => {
  it('splits each class into halves that differ by at most one image', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 2, maxLength: 200 }), fc.integer(), (labels, seed) => {
        const halves = stratifiedHalves(labels, seed);
        const total = [0, 0];
        for (let c = 0; c <= 5; c++) {
          const counts = [0, 0];
          labels.forEach((y, i) => y === c && counts[halves[i]!]!++);
          if (Math.abs(counts[0]! - counts[1]!) > 1) return false;
          total[0]! += counts[0]!;
          total[1]! += counts[1]!;
        }
        return Math.abs(total[0]! - total[1]!) <= 1;
      }),
    );
  });

  it("scores every image with the temperature of the half it is not in", () => {
    const c = cases.logits[3]!;
    const z = c.logits.flat();
    const k = c.num_classes;
    const fit = crossFitTemperature(z, c.labels, k, 7);
    const idx = [0, 1].map((h) => c.labels.map((_, i) => i).filter((i) => fit.halves[i] === h));
    idx.forEach((members, h) => {
      const t = fitTemperature(members.flatMap((i) => c.logits[i]!), members.map((i) => c.labels[i]!), k);
      expect(fit.temperatures[h]).toBeCloseTo(t, 12);
    });
    const i = idx[0]![0]!;
    const expected = softmaxWithTemperature(c.logits[i]!, k, fit.temperatures[1]);
    Array.from(expected).forEach((p, j) => expect(fit.probs[i * k + j]).toBeCloseTo(p, 12));
  });
});

describe('unknown-artist scores', () => {
  it('keeps at least the stated share and is the largest threshold that does', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (scores, keep) => {
        const t = keepThreshold(scores, keep);
        const kept = 1 - rejectedShare(scores, t);
        if (kept < keep - 1e-9) return false;
        // The next larger score as the threshold would keep only the scores above t: too few.
        const larger = scores.filter((s) => s > t);
        return larger.length / scores.length < keep - 1e-9;
      }),
    );
  });

  it('the energy score at T = 1 is minus the log-sum-exp, and scaling never changes the top class', () => {
    const e = energyScores([1, 2, 3, 0, 0, 0], 3, 1);
    expect(e[0]).toBeCloseTo(-Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 12);
    expect(e[1]).toBeCloseTo(-Math.log(3), 12);
    fc.assert(
      fc.property(fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.double({ min: 0.05, max: 20, noNaN: true }), (row, t) => {
        const a = topProbabilities(softmaxWithTemperature(row, 4, 1), 4)[0]!;
        const b = topProbabilities(softmaxWithTemperature(row, 4, t), 4)[0]!;
        return t > 1 ? b <= a + 1e-12 : b >= a - 1e-12;
      }),
    );
  });

  it('bootstraps any statistic with a percentile interval around it', () => {
    const values = Array.from({ length: 200 }, (_, i) => i % 10);
    const mean = (idx: Int32Array): number => idx.reduce((a, i) => a + values[i]!, 0) / idx.length;
    const b = bootstrapStatistic(values.length, mean, { resamples: 300, seed: 3 });
    expect(b.lo).toBeLessThan(4.5);
    expect(b.hi).toBeGreaterThan(4.5);
    expect(b.hi - b.lo).toBeLessThan(1.5);
  });
});
