import * as fs from 'fs';
import seedrandom from 'seedrandom';
import { TimError } from '../core/errors';
import { writeJsonAtomic } from '../io/atomic';
import { readJsonFile } from '../io/json-file';
import { splitManifestSchema, type DatasetIndex, type DatasetItem, type SplitManifest } from './types';

/** Fisher–Yates with a seeded generator: the same seed always gives the same order. */
export function seededShuffle<T>(items: readonly T[], seed: string): T[] {
  const rng = seedrandom(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}

/** How many of a class's `n` images go to validation: its share, rounded, keeping one of each side. */
export function valCountOf(n: number, valFraction: number): number {
  if (n < 2) return 0;
  return Math.min(n - 1, Math.max(1, Math.round(n * valFraction)));
}

/**
 * A stratified, seeded train/validation split: every class gives `valFraction` of its images
 * (rounded, at least one when it has two or more) to validation. The result depends only on
 * the set of paths, their labels and the seed, not on the order they were listed in.
 */
export function stratifiedSplit(index: DatasetIndex, opts: { valFraction: number; seed: number }): SplitManifest {
  if (!(opts.valFraction > 0 && opts.valFraction < 1)) {
    throw new TimError(`val_fraction must be between 0 and 1 (got ${opts.valFraction})`);
  }
  const train: DatasetItem[] = [];
  const val: DatasetItem[] = [];
  index.classes.forEach((cls, label) => {
    const paths = index.items.filter((it) => it.label === label).map((it) => it.path).sort();
    const shuffled = seededShuffle(paths, `${opts.seed}:split:${cls}`);
    const nVal = valCountOf(shuffled.length, opts.valFraction);
    shuffled.forEach((p, i) => (i < nVal ? val : train).push({ path: p, label }));
  });
  const byPath = (a: DatasetItem, b: DatasetItem): number => a.label - b.label || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    root: index.root,
    seed: opts.seed,
    val_fraction: opts.valFraction,
    classes: [...index.classes],
    train: train.sort(byPath),
    val: val.sort(byPath),
  };
}

/**
 * A stratified, seeded k-fold split: each class's images, shuffled as `stratifiedSplit` shuffles
 * them, are dealt round-robin into `folds` parts, each class starting where the previous one
 * stopped so that folds differ in size by at most one image overall and per class. Fold `fold`
 * is held out. For one seed the folds are disjoint and together cover every image once.
 */
export function stratifiedFoldSplit(index: DatasetIndex, opts: { folds: number; fold: number; seed: number }): SplitManifest {
  const { folds, fold } = opts;
  if (!Number.isInteger(folds) || folds < 2) throw new TimError(`data.folds must be a whole number ≥ 2 (got ${folds})`);
  if (!Number.isInteger(fold) || fold < 0 || fold >= folds) throw new TimError(`data.fold must be 0 to ${folds - 1} (got ${fold})`);
  const train: DatasetItem[] = [];
  const val: DatasetItem[] = [];
  let dealt = 0;
  index.classes.forEach((cls, label) => {
    const paths = index.items.filter((it) => it.label === label).map((it) => it.path).sort();
    for (const p of seededShuffle(paths, `${opts.seed}:split:${cls}`)) {
      ((dealt++ % folds) === fold ? val : train).push({ path: p, label });
    }
  });
  const byPath = (a: DatasetItem, b: DatasetItem): number => a.label - b.label || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { root: index.root, seed: opts.seed, val_fraction: 1 / folds, folds, fold, classes: [...index.classes], train: train.sort(byPath), val: val.sort(byPath) };
}

/** The split a config asks for: k-fold when `data.folds` is set, else the `val_fraction` split; seeded by `data.split_seed`, else `seed`. */
export function splitForConfig(index: DatasetIndex, config: { seed: number; data: { val_fraction: number; split_seed?: number; folds?: number; fold?: number } }): SplitManifest {
  const seed = config.data.split_seed ?? config.seed;
  const { folds, fold } = config.data;
  if (folds !== undefined && fold !== undefined) return stratifiedFoldSplit(index, { folds, fold, seed });
  return stratifiedSplit(index, { valFraction: config.data.val_fraction, seed });
}

export function writeSplit(file: string, split: SplitManifest): void {
  writeJsonAtomic(file, split);
}

/** Reads and checks a `split.json`. */
export function readSplit(file: string): SplitManifest {
  const what = 'expected a split manifest (split.json)';
  if (!fs.existsSync(file)) throw new TimError(`${file}: file not found; ${what}`);
  const s = readJsonFile(file, splitManifestSchema, what);
  const classes = s.classes;
  const beyond = [...s.train, ...s.val].find((it) => it.label >= classes.length);
  if (beyond) {
    throw new TimError(`${file}: 'train' and 'val' must be lists of {path, label} with labels below ${classes.length} (got label ${beyond.label} for '${beyond.path}')`);
  }
  const trainPaths = new Set(s.train.map((it) => it.path));
  const leak = s.val.find((it) => trainPaths.has(it.path));
  if (leak) throw new TimError(`${file}: '${leak.path}' is in both train and val`);
  const folds = typeof s.folds === 'number' && typeof s.fold === 'number' ? { folds: s.folds, fold: s.fold } : {};
  const unknown = s.unknown_classes && s.unknown ? { unknown_classes: s.unknown_classes, unknown: s.unknown } : {};
  return { root: s.root, seed: s.seed, val_fraction: s.val_fraction, ...folds, classes, train: s.train, val: s.val, ...unknown };
}
