import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../../../src/core/errors';
import { readSplit, seededShuffle, stratifiedSplit, writeSplit, type DatasetIndex } from '../../../src/data';
import { tmpDir } from '../../support/tmp';

function fakeIndex(counts: number[]): DatasetIndex {
  const classes = counts.map((_, i) => `class_${String.fromCharCode(97 + i)}`);
  const items = counts.flatMap((n, label) =>
    Array.from({ length: n }, (_, i) => ({ path: `${classes[label]}/img_${String(i).padStart(3, '0')}.jpg`, label })),
  );
  return { root: '/data', classes, items, skipped: [] };
}

describe('stratifiedSplit', () => {
  const index = fakeIndex([50, 23, 12, 7, 2]);

  it('gives every class its rounded share of validation images and loses none', () => {
    const s = stratifiedSplit(index, { valFraction: 0.2, seed: 1 });
    const perClass = (items: { label: number }[], label: number): number => items.filter((i) => i.label === label).length;
    expect([0, 1, 2, 3, 4].map((l) => perClass(s.val, l))).toEqual([10, 5, 2, 1, 1]);
    expect([0, 1, 2, 3, 4].map((l) => perClass(s.train, l))).toEqual([40, 18, 10, 6, 1]);
    const all = [...s.train, ...s.val].map((i) => i.path).sort();
    expect(all).toEqual(index.items.map((i) => i.path).sort());
    expect(new Set(all).size).toBe(all.length);
    expect(s.classes).toEqual(index.classes);
    expect(s).toMatchObject({ root: '/data', seed: 1, val_fraction: 0.2 });
  });

  it('is deterministic for a seed, differs between seeds, and ignores the listing order', () => {
    const a = stratifiedSplit(index, { valFraction: 0.2, seed: 7 });
    const b = stratifiedSplit({ ...index, items: seededShuffle(index.items, 'x') }, { valFraction: 0.2, seed: 7 });
    const c = stratifiedSplit(index, { valFraction: 0.2, seed: 8 });
    expect(b).toEqual(a);
    expect(c.val.map((i) => i.path)).not.toEqual(a.val.map((i) => i.path));
  });

  it('rejects a fraction outside (0, 1)', () => {
    expect(() => stratifiedSplit(index, { valFraction: 1, seed: 1 })).toThrow(TimError);
  });
});

describe('readSplit / writeSplit', () => {
  it('round-trips and rejects malformed or leaking manifests', () => {
    const { dir, cleanup } = tmpDir();
    try {
      const s = stratifiedSplit(fakeIndex([5, 5]), { valFraction: 0.2, seed: 3 });
      const file = path.join(dir, 'split.json');
      writeSplit(file, s);
      expect(readSplit(file)).toEqual(s);
      expect(() => readSplit(path.join(dir, 'none.json'))).toThrow(/not found/);
      fs.writeFileSync(file, '{');
      expect(() => readSplit(file)).toThrow(/not valid JSON/);
      fs.writeFileSync(file, JSON.stringify({ ...s, val: [{ path: 'x', label: 9 }] }));
      expect(() => readSplit(file)).toThrow(/labels below 2/);
      fs.writeFileSync(file, JSON.stringify({ ...s, val: [...s.val, s.train[0]] }));
      expect(() => readSplit(file)).toThrow(/both train and val/);
    } finally {
      cleanup();
    }
  });
});
