import seedrandom from 'seedrandom';
import { comparePairs, formatP, pairedBootstrap, pairRuns, pairwiseMarkdown, pairwiseRows, signedPoints, type ScoredImages } from '../../../src/evaluate/paired';
import { holmAdjust, mcnemarExact } from '../../../src/evaluate/stats';

const CLASSES = ['Degas', 'Monet', 'Renoir'];

/** Held-out predictions of a run that is right on about `skill` of the images. */
function scored(seed: string, n: number, skill: number, paths?: string[]): ScoredImages {
  const rng = seedrandom(seed);
  const truth = seedrandom('truth');
  const ps = paths ?? Array.from({ length: n }, (_, i) => `img${i}.jpg`);
  const labels = ps.map(() => CLASSES[Math.floor(truth() * 3)]!);
  return { paths: ps, labels, preds: labels.map((l) => (rng() < skill ? l : CLASSES[Math.floor(rng() * 3)]!)), classes: CLASSES };
}

describe('pairing', () => {
  it('pairs runs on the same images in any order, by path', () => {
    const a = scored('a', 50, 0.6);
    const b = scored('b', 50, 0.8);
    const order = a.paths.map((_, i) => 49 - i);
    const shuffled: ScoredImages = { ...b, paths: order.map((i) => b.paths[i]!), labels: order.map((i) => b.labels[i]!), preds: order.map((i) => b.preds[i]!) };
    const p1 = pairRuns(a, b);
    const p2 = pairRuns(a, shuffled);
    expect(p1.paired && p2.paired).toBe(true);
    if (p1.paired && p2.paired) expect(Array.from(p2.predB)).toEqual(Array.from(p1.predB));
  });

  it('does not pair runs whose held-out images differ, and says why', () => {
    const a = scored('a', 40, 0.6);
    const b = scored('b', 40, 0.6, a.paths.map((p, i) => (i < 5 ? `other${i}.jpg` : p)));
    const r = pairRuns(a, b);
    expect(r).toEqual({ paired: false, reason: 'their held-out images differ (40 and 40 images, 35 in common)' });
    expect(pairRuns(a, { ...b, paths: a.paths, classes: ['Degas', 'Monet'] })).toMatchObject({ paired: false, reason: 'their models have different classes' });
  });
});

describe('paired comparison', () => {
  const a = scored('a', 300, 0.55);
  const b = scored('b', 300, 0.75);
  const c = scored('c', 300, 0.56);

  it('gives B − A with a paired interval, McNemar on the discordant images, and a readable sentence', () => {
    const cmp = comparePairs([{ label: 'padding', scored: a }, { label: 'no padding', scored: b }], { resamples: 300, seed: 3 });
    expect(cmp.correction).toBe('none');
    const pair = cmp.pairs[0]!;
    if (!pair.paired) throw new Error('expected a paired comparison');
    const right = (s: ScoredImages, i: number): boolean => s.preds[i] === s.labels[i];
    const onlyA = a.paths.filter((_, i) => right(a, i) && !right(b, i)).length;
    const onlyB = a.paths.filter((_, i) => right(b, i) && !right(a, i)).length;
    expect([pair.only_a, pair.only_b]).toEqual([onlyA, onlyB]);
    expect(pair.p).toBe(mcnemarExact(onlyA, onlyB));
    expect(pair.accuracy.diff).toBeCloseTo((onlyB - onlyA) / 300, 12);
    expect(pair.accuracy.lo).toBeLessThan(pair.accuracy.diff);
    expect(pair.accuracy.hi).toBeGreaterThan(pair.accuracy.diff);
    expect(pair.differs).toBe(true);
    expect(pair.sentence).toMatch(/^no padding − padding: \+\d+\.\d points \[\+\d+\.\d, \+\d+\.\d\], p [<=] [\d.]+: shown to differ: no padding is more accurate/);
  });

  it('is seeded: the same seed gives the same interval, another seed another', () => {
    const p = pairRuns(a, c);
    if (!p.paired) throw new Error('expected a pair');
    expect(pairedBootstrap(p, { resamples: 100, seed: 1 })).toEqual(pairedBootstrap(p, { resamples: 100, seed: 1 }));
    expect(pairedBootstrap(p, { resamples: 100, seed: 2 }).accuracy.lo).not.toBe(pairedBootstrap(p, { resamples: 100, seed: 1 }).accuracy.lo);
  });

  it('Holm-corrects over every paired test when more than two runs are compared', () => {
    const other = scored('d', 100, 0.9);
    const cmp = comparePairs(
      [
        { label: 'A', scored: a },
        { label: 'B', scored: b },
        { label: 'C', scored: c },
        { label: 'D', scored: other },
      ],
      { resamples: 50 },
    );
    expect(cmp.correction).toBe('holm');
    expect(cmp.pairs).toHaveLength(6);
    const tested = cmp.pairs.filter((p) => p.paired);
    expect(tested).toHaveLength(3);
    expect(cmp.tests).toBe(3);
    const adjusted = holmAdjust(tested.map((p) => (p.paired ? p.p : NaN)));
    tested.forEach((p, i) => p.paired && expect(p.p_adjusted).toBe(adjusted[i]));
    const notPaired = cmp.pairs.find((p) => !p.paired)!;
    expect(notPaired.sentence).toMatch(/^D and A are not paired: their held-out images differ \(300 and 100 images, 100 in common\)$/);
    const text = pairwiseMarkdown(cmp);
    expect(text).toContain('Holm-corrected over 3 comparisons');
    expect(text).toMatch(/C − A: .*\(Holm, 3 comparisons\): not shown to differ/);
    const rows = pairwiseRows(cmp);
    expect(rows).toHaveLength(7);
    expect(rows[0]).toContain('mcnemar_p');
  });

  it('formats points and p-values for people', () => {
    expect([signedPoints(0.021), signedPoints(-0.004), signedPoints(0)]).toEqual(['+2.1', '−0.4', '0.0']);
    expect([formatP(0.1134), formatP(0.0042), formatP(3e-7), formatP(1)]).toEqual(['p = 0.11', 'p = 0.0042', 'p < 0.0001', 'p = 1']);
  });
});
