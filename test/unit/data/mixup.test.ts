import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { cutmixFromCentre, drawCropBox, drawMix, mixImages, mixPixels, mixupTargets, sampleBeta } from '../../../src/data';
import {
  BETA_ALPHAS, cutmixCases, KS_SAMPLES, MIX_BATCH, MIX_CASES, mixBatch, mixTargetCases,
} from '../../support/goldens/cases/timm-mixup';
import { loadGolden } from '../../support/goldens/golden';

interface MixupGolden {
  mixup_targets: number[][][];
  cutmix: Array<{ box: [number, number, number, number]; lam: number }>;
  beta_quantiles: Record<string, number[]>;
  ks_critical: number;
}

const golden = loadGolden('timm-mixup');
const ref = golden.json<MixupGolden>('mixup.json');

/** The Kolmogorov–Smirnov statistic of `samples` against the continuous CDF `cdf`. */
function ksStatistic(samples: number[], cdf: (x: number) => number): number {
  const xs = [...samples].sort((a, b) => a - b);
  let d = 0;
  xs.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, (i + 1) / xs.length - f, f - i / xs.length);
  });
  return d;
}

/** A CDF from scipy's quantiles at 0, 0.001, ..., 1: exact at each, linear between (off by under 0.001). */
function cdfFromQuantiles(q: readonly number[]): (x: number) => number {
  const steps = q.length - 1;
  return (x) => {
    let lo = 0;
    let hi = steps;
    if (x <= (q[0] ?? 0)) return 0;
    if (x >= (q[steps] ?? 1)) return 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((q[mid] ?? 0) <= x) lo = mid;
      else hi = mid;
    }
    const a = q[lo] ?? 0;
    const b = q[hi] ?? 1;
    return (lo + (b > a ? (x - a) / (b - a) : 0)) / steps;
  };
}

const uniformCdf = (lo: number, hi: number) => (x: number): number => Math.min(1, Math.max(0, (x - lo) / (hi - lo)));

describe('mixup and CutMix as timm computes them', () => {
  it('builds timm’s mixup_target: smoothed one-hot rows mixed with the flipped batch’s', () => {
    mixTargetCases().forEach((c, k) => {
      const got = mixupTargets(c.labels, c.num_classes, c.lam, c.smoothing);
      const want = (ref.mixup_targets[k] ?? []).flat();
      expect(got.length).toBe(want.length);
      want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    });
  });

  it('cuts timm’s box for λ, clipped to the image, and corrects λ to the box’s area', () => {
    cutmixCases().forEach((c, k) => {
      const ratio = Math.sqrt(1 - c.lam);
      const got = cutmixFromCentre(c.height, c.width, Math.trunc(c.height * ratio), Math.trunc(c.width * ratio), c.cy, c.cx);
      const want = ref.cutmix[k];
      expect([got.box?.top, got.box?.bottom, got.box?.left, got.box?.right]).toEqual(want?.box);
      expect(got.lam).toBeCloseTo(want?.lam ?? NaN, 12);
    });
  });

  it('mixes the batch with itself reversed, and pastes CutMix’s box from it', () => {
    const { n, height, width } = MIX_BATCH;
    const x = tf.tensor4d(mixBatch(), [n, height, width, 3]);
    const bytes = golden.read('mixed.f32');
    const want = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const before = tf.memory().numTensors;
    MIX_CASES.forEach((c, k) => {
      const got = mixImages(x, c);
      const g = got.dataSync();
      let worst = 0;
      for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs((g[i] ?? 0) - (want[k * g.length + i] ?? 0)));
      expect(worst).toBeLessThan(1e-6);
      got.dispose();
    });
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('mixes the same on pixels in JavaScript', () => {
    const { n, height, width } = MIX_BATCH;
    // mixPixels takes square images: the 6×7 batch padded to 7×7 with a row of zeros.
    const size = width;
    const src = mixBatch();
    const square = new Float32Array(n * size * size * 3);
    for (let i = 0; i < n; i++) square.set(src.subarray(i * height * width * 3, (i + 1) * height * width * 3), i * size * size * 3);
    const bytes = golden.read('mixed.f32');
    const want = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    MIX_CASES.forEach((c, k) => {
      const got = mixPixels(square, n, size, c);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < height * width * 3; j++) {
          worst = Math.max(worst, Math.abs((got[i * size * size * 3 + j] ?? 0) - (want[(k * n + i) * height * width * 3 + j] ?? 0)));
        }
      }
      expect(worst).toBeLessThan(1e-6);
    });
  });

  it('chooses CutMix with switch_prob, mixes with prob, and draws the same for the same seed', () => {
    const settings = { alpha: 0.2, cutmix_alpha: 1, prob: 0.6, switch_prob: 0.3, label_smoothing: 0.1 };
    const draws = Array.from({ length: 4000 }, (_, i) => drawMix(seedrandom(`m${i}`), 32, 32, settings));
    expect(drawMix(seedrandom('m7'), 32, 32, settings)).toEqual(draws[7]);
    const mixed = draws.filter((d) => d.lam !== 1 || d.box);
    const cut = mixed.filter((d) => d.box);
    // Binomial counts within 4 standard deviations of their means.
    expect(Math.abs(mixed.length - 0.6 * 4000)).toBeLessThan(4 * Math.sqrt(4000 * 0.6 * 0.4));
    expect(Math.abs(cut.length - 0.3 * mixed.length)).toBeLessThan(4 * Math.sqrt(mixed.length * 0.3 * 0.7));
  });
});

describe(`sampled parameters against their distributions (Kolmogorov–Smirnov, n = ${KS_SAMPLES}, significance 0.01)`, () => {
  it.each(BETA_ALPHAS)('λ ~ Beta(α, α) with α = %f', (alpha) => {
    const rng = seedrandom(`beta-${alpha}`);
    const samples = Array.from({ length: KS_SAMPLES }, () => sampleBeta(rng, alpha, alpha));
    expect(samples.every((v) => v >= 0 && v <= 1)).toBe(true);
    const d = ksStatistic(samples, cdfFromQuantiles(ref.beta_quantiles[String(alpha)] ?? []));
    expect(d).toBeLessThan(ref.ks_critical);
    // The test can fail: the same samples are far from a Beta of another shape.
    expect(ksStatistic(samples, cdfFromQuantiles(ref.beta_quantiles[String(alpha === 1 ? 2 : 1)] ?? []))).toBeGreaterThan(ref.ks_critical);
  });

  it('RandomResizedCrop’s area is uniform in scale, its log aspect uniform in log ratio, its place uniform', () => {
    // Ranges where every first try fits, so no try is rejected and the formulas hold as drawn.
    const settings = { scale: [0.1, 0.45] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };
    const size = 224;
    const rng = seedrandom('crops');
    const jitter = seedrandom('crop-jitter');
    const boxes = Array.from({ length: KS_SAMPLES }, () => drawCropBox(rng, size, size, settings));
    const area = boxes.map((b) => (b.width * b.height) / (size * size));
    const logRatio = boxes.map((b) => Math.log(b.width / b.height));
    // A uniform integer in 0..k plus an independent uniform fraction, over k + 1, is uniform on [0, 1].
    const place = boxes.map((b) => (b.top + jitter()) / (size - b.height + 1));
    // Rounding the sides to whole pixels moves each value by under 1%: well inside the critical value.
    expect(ksStatistic(area, uniformCdf(...settings.scale))).toBeLessThan(ref.ks_critical);
    expect(ksStatistic(logRatio, uniformCdf(Math.log(3 / 4), Math.log(4 / 3)))).toBeLessThan(ref.ks_critical);
    expect(ksStatistic(place, uniformCdf(0, 1))).toBeLessThan(ref.ks_critical);
    expect(ksStatistic(area, uniformCdf(0.08, 1))).toBeGreaterThan(ref.ks_critical);
  });
});
