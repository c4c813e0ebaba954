import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../../../src/core/errors';
import { readSplit, seededShuffle, stratifiedSplit, writeSplit, type DatasetIndex } from '../../../src/data';
import { splitForConfig, stratifiedFoldSplit } from '../../../src/data/split';
import { configToYaml, loadConfig, parseConfig, readRunConfig } from '../../../src/config/load';
import YAML from 'yaml';
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

describe('stratified k-fold', () => {
  const index = fakeIndex([50, 23, 12, 7, 5]);
  const folds = [0, 1, 2, 3, 4].map((fold) => stratifiedFoldSplit(index, { folds: 5, fold, seed: 3 }));

  it('holds out disjoint folds that together cover every image once', () => {
    const held = folds.flatMap((f) => f.val.map((i) => i.path)).sort();
    expect(held).toEqual(index.items.map((i) => i.path).sort());
    for (const f of folds) {
      expect(f.train.length + f.val.length).toBe(index.items.length);
      const val = new Set(f.val.map((i) => i.path));
      expect(f.train.some((i) => val.has(i.path))).toBe(false);
    }
  });

  it('is stratified and balanced: sizes differ by at most one, overall and per class', () => {
    const sizes = folds.map((f) => f.val.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (let label = 0; label < 5; label++) {
      const per = folds.map((f) => f.val.filter((i) => i.label === label).length);
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
  });

  it('records the fold in split.json, and readSplit keeps it', () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'split.json');
      writeSplit(file, folds[2]!);
      expect(readSplit(file)).toMatchObject({ folds: 5, fold: 2, seed: 3, val_fraction: 0.2 });
    } finally {
      t.cleanup();
    }
  });

  it('comes from the config: data.folds with data.fold, seeded by data.split_seed or seed', () => {
    const cfg = (data: Record<string, unknown>, seed = 7) => parseConfig({ name: 'x', seed, data: { root: '/data', ...data }, model: { arch: 'tiny_cnn' } });
    expect(splitForConfig(index, cfg({ folds: 5, fold: 2 }, 3))).toEqual(folds[2]);
    expect(splitForConfig(index, cfg({ folds: 5, fold: 2, split_seed: 3 }, 99))).toEqual(folds[2]);
    // Without folds: today's split, by the run seed unless split_seed says otherwise.
    expect(splitForConfig(index, cfg({}))).toEqual(stratifiedSplit(index, { valFraction: 0.2, seed: 7 }));
    expect(splitForConfig(index, cfg({ split_seed: 1 }))).toEqual(stratifiedSplit(index, { valFraction: 0.2, seed: 1 }));
    expect(() => cfg({ folds: 5 })).toThrow(/data\.fold.*go together/);
    expect(() => cfg({ folds: 5, fold: 5 })).toThrow(/fold 5 is out of range; folds are 0-based, 0 to 4/);
    expect(() => cfg({ fold: 1 })).toThrow(TimError);
    // Rules over the data mapping say what was given, never "got a mapping".
    for (const data of [{ folds: 5 }, { fold: 1 }, { folds: 5, fold: 5 }]) expect(() => cfg(data)).not.toThrow(/got a mapping/);
    expect(() => cfg({ folds: 5 })).toThrow(/^config: key 'data\.fold': data\.folds 5 without data\.fold: data\.folds and data\.fold go together/);
  });

  it('refuses data.val_fraction beside data.folds, naming both keys; a run config round-trips', () => {
    const raw = (data: Record<string, unknown>) => ({ name: 'x', data: { root: '/data', ...data }, model: { arch: 'tiny_cnn' } });
    expect(() => parseConfig(raw({ folds: 5, fold: 0, val_fraction: 0.3 }), 'k.yaml')).toThrow(
      /^k\.yaml: keys 'data\.val_fraction' \(0\.3\) and 'data\.folds' \(5\) both given; .*expected one of the two$/,
    );
    const config = parseConfig(raw({ folds: 5, fold: 1 }));
    const { cleanup, dir } = tmpDir();
    try {
      fs.writeFileSync(path.join(dir, 'config.yaml'), configToYaml(config));
      expect(readRunConfig(path.join(dir, 'config.yaml'))).toEqual(config);
      // A run written before the rule holds val_fraction's default beside data.folds: still readable.
      fs.writeFileSync(path.join(dir, 'config.yaml'), YAML.stringify(config));
      expect(readRunConfig(path.join(dir, 'config.yaml'))).toEqual(config);
    } finally {
      cleanup();
    }
  });

  it('an override that picks k-fold replaces the base file\'s val_fraction (and the other way round)', () => {
    const { cleanup, dir } = tmpDir();
    try {
      const file = path.join(dir, 'base.yaml');
      fs.writeFileSync(file, 'name: x\ndata: { root: /data, val_fraction: 0.3 }\nmodel: { arch: tiny_cnn }\n');
      expect(loadConfig(file, ['data.folds=4', 'data.fold=1']).config.data).toMatchObject({ folds: 4, fold: 1, val_fraction: 0.2 });
      expect(() => loadConfig(file, ['data.folds=4', 'data.fold=1', 'data.val_fraction=0.25'])).toThrow(/keys 'data\.val_fraction' \(0\.25\) and 'data\.folds' \(4\) both given/);
      fs.writeFileSync(file, 'name: x\ndata: { root: /data, folds: 4, fold: 0 }\nmodel: { arch: tiny_cnn }\n');
      const back = loadConfig(file, ['data.val_fraction=0.25']).config.data;
      expect(back.val_fraction).toBe(0.25);
      expect(back.folds).toBeUndefined();
    } finally {
      cleanup();
    }
  });

  it('refuses more folds than the smallest class has images, naming the class', () => {
    const small = fakeIndex([9, 3, 6]);
    expect(() => stratifiedFoldSplit(small, { folds: 4, fold: 0, seed: 1 })).toThrow(
      /^data\.folds 4: class '.+' has only 3 image\(s\), so 1 of the 4 held-out folds would have none of it; expected data\.folds at most 3/,
    );
    // At the limit every held-out fold has every class.
    for (let fold = 0; fold < 3; fold++) {
      const s = stratifiedFoldSplit(small, { folds: 3, fold, seed: 1 });
      expect(new Set(s.val.map((i) => i.label))).toEqual(new Set([0, 1, 2]));
    }
  });
});
