import * as fs from 'fs';
import seedrandom from 'seedrandom';
import { TimError } from '../core/errors';
import type { DatasetIndex, DatasetItem, SplitManifest } from './types';
import { splitFile } from '../io/run-folder';
import type { NearDuplicateRecord } from './near-duplicates';

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
 * The units a split deals, per class: each image alone, except that a near-duplicate group
 * moves as one unit, dealt with the class of its first path (by name). Each unit is named by
 * its first path, so with no groups the units are exactly the images.
 */
function unitsByClass(index: DatasetIndex, nearDuplicates: NearDuplicateRecord | undefined): Map<number, Map<string, DatasetItem[]>> {
  const labelOf = new Map(index.items.map((it) => [it.path, it.label]));
  const groupOf = new Map<string, string[]>();
  for (const g of nearDuplicates?.groups ?? []) {
    const members = g.filter((p) => labelOf.has(p)).sort();
    if (members.length > 1) for (const p of members) groupOf.set(p, members);
  }
  const units = new Map<number, Map<string, DatasetItem[]>>(index.classes.map((_, label) => [label, new Map()]));
  for (const it of [...index.items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const members = groupOf.get(it.path) ?? [it.path];
    const head = members[0] as string;
    const owner = units.get(labelOf.get(head) as number) as Map<string, DatasetItem[]>;
    owner.set(head, [...(owner.get(head) ?? []), it]);
  }
  return units;
}

/**
 * A stratified, seeded train/validation split: every class gives `valFraction` of its images
 * (rounded, at least one when it has two or more) to validation. The result depends only on
 * the set of paths, their labels and the seed, not on the order they were listed in. With
 * `nearDuplicates`, each group goes whole to one side (validation takes groups until its share
 * is reached), and the manifest records the groups.
 */
export function stratifiedSplit(index: DatasetIndex, opts: { valFraction: number; seed: number; nearDuplicates?: NearDuplicateRecord }): SplitManifest {
  if (!(opts.valFraction > 0 && opts.valFraction < 1)) {
    throw new TimError(`val_fraction must be between 0 and 1 (got ${opts.valFraction})`);
  }
  const train: DatasetItem[] = [];
  const val: DatasetItem[] = [];
  const units = unitsByClass(index, opts.nearDuplicates);
  index.classes.forEach((cls, label) => {
    const own = units.get(label) as Map<string, DatasetItem[]>;
    const shuffled = seededShuffle([...own.keys()].sort(), `${opts.seed}:split:${cls}`);
    const nVal = valCountOf(index.items.filter((it) => it.label === label).length, opts.valFraction);
    let inVal = 0;
    for (const head of shuffled) {
      const members = own.get(head) as DatasetItem[];
      const side = inVal < nVal ? val : train;
      if (side === val) inVal += members.filter((m) => m.label === label).length;
      side.push(...members);
    }
  });
  const byPath = (a: DatasetItem, b: DatasetItem): number => a.label - b.label || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    root: index.root,
    seed: opts.seed,
    val_fraction: opts.valFraction,
    classes: [...index.classes],
    train: train.sort(byPath),
    val: val.sort(byPath),
    ...(opts.nearDuplicates ? { near_duplicates: opts.nearDuplicates } : {}),
  };
}

/**
 * A stratified, seeded k-fold split: each class's images, shuffled as `stratifiedSplit` shuffles
 * them, are dealt round-robin into `folds` parts, each class starting where the previous one
 * stopped so that folds differ in size by at most one image overall and per class. Fold `fold`
 * is held out. For one seed the folds are disjoint and together cover every image once.
 */
export function stratifiedFoldSplit(index: DatasetIndex, opts: { folds: number; fold: number; seed: number; nearDuplicates?: NearDuplicateRecord }): SplitManifest {
  const { folds, fold } = opts;
  if (!Number.isInteger(folds) || folds < 2) throw new TimError(`data.folds must be a whole number ≥ 2 (got ${folds})`);
  if (!Number.isInteger(fold) || fold < 0 || fold >= folds) throw new TimError(`data.fold must be 0 to ${folds - 1} (got ${fold})`);
  // A class with fewer images than folds would be missing from some held-out folds: their
  // scores would leave it out without a word, so it is refused.
  const counts = index.classes.map((_, label) => index.items.filter((it) => it.label === label).length);
  const smallest = Math.min(...counts);
  if (smallest < folds) {
    const cls = index.classes[counts.indexOf(smallest)] ?? '';
    throw new TimError(
      `data.folds ${folds}: class '${cls}' has only ${smallest} image(s), so ${folds - smallest} of the ${folds} held-out folds would have none of it; ` +
        `expected data.folds at most ${smallest} (the smallest class), or more images of '${cls}'`,
    );
  }
  const train: DatasetItem[] = [];
  const val: DatasetItem[] = [];
  let dealt = 0;
  const units = unitsByClass(index, opts.nearDuplicates);
  index.classes.forEach((cls, label) => {
    const own = units.get(label) as Map<string, DatasetItem[]>;
    // A near-duplicate group is dealt as one unit.
    for (const head of seededShuffle([...own.keys()].sort(), `${opts.seed}:split:${cls}`)) {
      ((dealt++ % folds) === fold ? val : train).push(...(own.get(head) as DatasetItem[]));
    }
  });
  const byPath = (a: DatasetItem, b: DatasetItem): number => a.label - b.label || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const record = opts.nearDuplicates ? { near_duplicates: opts.nearDuplicates } : {};
  return { root: index.root, seed: opts.seed, val_fraction: 1 / folds, folds, fold, classes: [...index.classes], train: train.sort(byPath), val: val.sort(byPath), ...record };
}

/** The split a config asks for: k-fold when `data.folds` is set, else the `val_fraction` split; seeded by `data.split_seed`, else `seed`. */
export function splitForConfig(
  index: DatasetIndex,
  config: { seed: number; data: { val_fraction: number; split_seed?: number; folds?: number; fold?: number } },
  nearDuplicates?: NearDuplicateRecord,
): SplitManifest {
  const seed = config.data.split_seed ?? config.seed;
  const { folds, fold } = config.data;
  if (folds !== undefined && fold !== undefined) return stratifiedFoldSplit(index, { folds, fold, seed, nearDuplicates });
  return stratifiedSplit(index, { valFraction: config.data.val_fraction, seed, nearDuplicates });
}

export function writeSplit(file: string, split: SplitManifest): void {
  splitFile.write(file, split);
}

/** Reads and checks a `split.json`. */
export function readSplit(file: string): SplitManifest {
  const what = 'expected a split manifest (split.json)';
  if (!fs.existsSync(file)) throw new TimError(`${file}: file not found; ${what}`);
  const s = splitFile.read(file, what);
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
  const nearDuplicates = s.near_duplicates ? { near_duplicates: s.near_duplicates } : {};
  return { root: s.root, seed: s.seed, val_fraction: s.val_fraction, ...folds, classes, train: s.train, val: s.val, ...unknown, ...nearDuplicates };
}
