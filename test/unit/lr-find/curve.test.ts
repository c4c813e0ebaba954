import { SmoothedLoss, suggest, sweepRate } from '../../../src/lr-find/curve';
import { lrFindCases } from '../../support/goldens/cases/lr-find';
import { loadGolden } from '../../support/goldens/golden';

interface Reference {
  lrs: number[];
  smoothed: (number | null)[];
  recorded: number;
  steepest?: [number, number];
  valley?: [number, number];
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

/** The sweep's rules applied to a case's raw losses, as the finder applies them step by step. */
function replay(c: ReturnType<typeof lrFindCases>[number]): { lrs: number[]; smoothed: number[] } {
  const tracker = new SmoothedLoss();
  const lrs: number[] = [];
  const smoothed: number[] = [];
  for (let i = 0; i < c.steps; i++) {
    const { smoothed: s, diverged } = tracker.add(c.losses[i] as number);
    lrs.push(sweepRate(c.start_lr, c.end_lr, i, c.steps));
    smoothed.push(s);
    if (diverged) break;
  }
  return { lrs, smoothed };
}

describe("the learning-rate finder's arithmetic matches fastai's formulas (numpy)", () => {
  const cases = lrFindCases();
  const refs = loadGolden('numpy-lr-find').json<{ cases: Reference[] }>('lr-find.json').cases;

  it('exponential rates, the debiased smoothed loss (beta 0.98), and the stop at 4x the best or NaN', () => {
    cases.forEach((c, i) => {
      const r = refs[i] as Reference;
      const got = replay(c);
      expect([i, got.lrs.length]).toEqual([i, r.recorded]);
      got.lrs.forEach((lr, j) => expect([i, j, close(lr, r.lrs[j] as number)]).toEqual([i, j, true]));
      got.smoothed.forEach((s, j) => {
        const want = r.smoothed[j];
        expect([i, j, want === null ? Number.isNaN(s) : close(s, want as number)]).toEqual([i, j, true]);
      });
    });
    // The cases cover a divergence, a sweep that runs to its end, and a NaN.
    expect(refs.map((r, i) => r.recorded < (cases[i]?.steps ?? 0))).toEqual([true, false, false, true]);
  });

  it('the steepest and valley suggestions', () => {
    cases.forEach((c, i) => {
      const r = refs[i] as Reference;
      const { lrs, smoothed } = replay(c);
      const s = suggest(lrs, smoothed, c.steps);
      expect(s).not.toBeNull();
      expect([i, close(s!.steepest.lr, r.steepest![0]), close(s!.steepest.loss, r.steepest![1])]).toEqual([i, true, true]);
      expect([i, close(s!.valley.lr, r.valley![0]), close(s!.valley.loss, r.valley![1])]).toEqual([i, true, true]);
    });
  });

  it('gives no suggestion when too few points remain after trimming', () => {
    expect(suggest([1e-5, 1e-4, 1e-3], [2, 1, 3], 100)).toBeNull();
  });
});
