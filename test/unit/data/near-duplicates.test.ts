import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import sharp from 'sharp';
import { groupNearDuplicates, hammingDistance, hashImageFile, findNearDuplicates, NEAR_DUPLICATE_THRESHOLD } from '../../../src/data/near-duplicates';
import { stratifiedFoldSplit, stratifiedSplit } from '../../../src/data/split';
import { leaveClassesOut } from '../../../src/data/leave-out';
import { formatDatasetReport, inspectDataset } from '../../../src/data/inspect';
import type { DatasetIndex } from '../../../src/data/types';
import { artistStyle, paint } from '../../../src/data/synth';
import seedrandom from 'seedrandom';
import { HASH_CASES, hashInputName, hashPixels } from '../../support/goldens/cases/perceptual-hash';
import { loadGolden } from '../../support/goldens/golden';
import { tmpDir } from '../../support/tmp';

const tmp = tmpDir();
afterAll(() => tmp.cleanup());

describe('perceptual hash', () => {
  it('equals the reference computed on Pillow-decoded images, bit for bit', async () => {
    const ref = loadGolden('perceptual-hash').json<Record<string, string>>('hashes.json');
    for (const [w, h] of HASH_CASES) {
      const file = path.join(tmp.dir, `${w}x${h}.png`);
      await sharp(hashPixels(w, h), { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
      expect(await hashImageFile(file)).toBe(ref[hashInputName(w, h)]);
    }
  });

  it('keeps resized and re-encoded copies of a painting within the threshold, and distinct paintings outside it', async () => {
    const hashes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { data, width, height } = paint(artistStyle(i % 3), seedrandom(`near-dup-${i}`));
      const original = path.join(tmp.dir, `p${i}.png`);
      await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(original);
      const small = path.join(tmp.dir, `p${i}-small.jpg`);
      await sharp(original).resize(Math.round(width * 0.6)).jpeg({ quality: 65 }).toFile(small);
      const h = await hashImageFile(original);
      expect(hammingDistance(h, await hashImageFile(small))).toBeLessThanOrEqual(NEAR_DUPLICATE_THRESHOLD);
      hashes.push(h);
    }
    for (let i = 0; i < hashes.length; i++) for (let j = i + 1; j < hashes.length; j++) expect(hammingDistance(hashes[i]!, hashes[j]!)).toBeGreaterThan(NEAR_DUPLICATE_THRESHOLD);
  });

  it('groups chains of close hashes and leaves lone images out', () => {
    const groups = groupNearDuplicates(
      new Map([
        ['b/2.jpg', '0000000000000000'],
        ['a/1.jpg', '000000000000000f'],
        ['c/3.jpg', '00000000000000ff'],
        ['d/4.jpg', 'ffffffffffffffff'],
      ]),
      4,
    );
    expect(groups).toEqual([['a/1.jpg', 'b/2.jpg', 'c/3.jpg']]);
  });
});

function fakeIndex(counts: number[]): DatasetIndex {
  const classes = counts.map((_, i) => `class_${i}`);
  const items = counts.flatMap((n, label) => Array.from({ length: n }, (_, i) => ({ path: `${classes[label]}/img_${String(i).padStart(3, '0')}.jpg`, label })));
  return { root: '/data', classes, items, skipped: [] };
}

describe('a split with near-duplicate groups', () => {
  const index = fakeIndex([40, 17, 9]);
  const paths = index.items.map((it) => it.path);
  const groupsArb = fc.array(fc.uniqueArray(fc.constantFrom(...paths), { minLength: 2, maxLength: 5 }), { maxLength: 12 }).map((gs) => {
    // Disjoint groups, as grouping gives.
    const used = new Set<string>();
    return gs.map((g) => g.filter((p) => !used.has(p) && (used.add(p), true))).filter((g) => g.length > 1);
  });

  it('never puts members of one group on both sides, loses no image, and records the groups', () => {
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 0, max: 1000 }), fc.boolean(), (groups, seed, folds) => {
        const record = { method: 'dct-phash-64', threshold: 10, groups };
        const s = folds ? stratifiedFoldSplit(index, { folds: 4, fold: seed % 4, seed, nearDuplicates: record }) : stratifiedSplit(index, { valFraction: 0.2, seed, nearDuplicates: record });
        const side = new Map([...s.train.map((it) => [it.path, 'train'] as const), ...s.val.map((it) => [it.path, 'val'] as const)]);
        expect(side.size).toBe(paths.length);
        for (const g of groups) expect(new Set(g.map((p) => side.get(p))).size).toBe(1);
        expect(s.near_duplicates).toEqual(record);
      }),
      { numRuns: 60 },
    );
  });

  it('is the plain split when there are no groups', () => {
    const record = { method: 'dct-phash-64', threshold: 10, groups: [] };
    const { near_duplicates: _, ...grouped } = stratifiedSplit(index, { valFraction: 0.2, seed: 3, nearDuplicates: record });
    expect(grouped).toEqual(stratifiedSplit(index, { valFraction: 0.2, seed: 3 }));
  });
});

test('near-duplicates planted in a data set are found and never straddle the split', async () => {
  const root = path.join(tmp.dir, 'planted');
  const index: DatasetIndex = { root, classes: ['A', 'B'], items: [], skipped: [] };
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < 8; i++) {
      const { data, width, height } = paint(artistStyle(c * 5), seedrandom(`planted-${c}-${i}`));
      const rel = `${index.classes[c]}/p${i}.png`;
      fs.mkdirSync(path.join(root, index.classes[c]!), { recursive: true });
      await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(path.join(root, rel));
      index.items.push({ path: rel, label: c });
      if (i < 3) {
        // A second scan of the same painting: smaller and re-encoded.
        const copy = `${index.classes[c]}/p${i}-copy.jpg`;
        await sharp(data, { raw: { width, height, channels: 3 } }).resize(Math.round(width * 0.7)).jpeg({ quality: 70 }).toFile(path.join(root, copy));
        index.items.push({ path: copy, label: c });
      }
    }
  }
  const record = await findNearDuplicates(root, index.items.map((it) => it.path));
  expect(record.groups.map((g) => g.join(' ')).sort()).toEqual(
    ['A', 'B'].flatMap((c) => [0, 1, 2].map((i) => `${c}/p${i}-copy.jpg ${c}/p${i}.png`)).sort(),
  );
  // data inspect lists the same groups.
  const report = await inspectDataset(root);
  expect(report.near_duplicates.groups).toEqual(record.groups);
  expect(formatDatasetReport(report)).toContain(`group 1: ${record.groups[0]!.join('  ')}`);
  for (let seed = 0; seed < 10; seed++) {
    const s = stratifiedSplit(index, { valFraction: 0.3, seed, nearDuplicates: record });
    const val = new Set(s.val.map((it) => it.path));
    for (const g of record.groups) expect(g.every((p) => val.has(p)) || g.every((p) => !val.has(p))).toBe(true);
  }
});

test('leave-artists-out removes the named classes and keeps their images for detection', () => {
  const index = fakeIndex([3, 2, 4]);
  const { known, unknown } = leaveClassesOut(index, ['class_1']);
  expect(known.classes).toEqual(['class_0', 'class_2']);
  expect(known.items.filter((it) => it.label === 1)).toHaveLength(4);
  expect(unknown.map((it) => it.path)).toEqual(['class_1/img_000.jpg', 'class_1/img_001.jpg']);
  expect(() => leaveClassesOut(index, ['class_7'])).toThrow(/data.unknown_classes: 'class_7'/);
});
