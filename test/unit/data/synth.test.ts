import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { indexDataset, REFERENCE_ARTISTS, synthCounts, synthesizeDataset } from '../../../src/data';
import { artistStyle } from '../../../src/data/synth';
import { tmpDir } from '../../support/tmp';

function listFiles(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)))
    .sort();
}

describe('synthesizeDataset', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tmpDir()));
  afterAll(() => cleanup());

  it('keeps the reference proportions at the default size', () => {
    const counts = synthCounts();
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(600);
    expect(total).toBeLessThanOrEqual(900);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(10);
    // Ordered like the reference counts, and the largest class about 9x the smallest as there.
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const ratio = Math.max(...counts) / Math.min(...counts);
    const refRatio = REFERENCE_ARTISTS[0]![1] / REFERENCE_ARTISTS[REFERENCE_ARTISTS.length - 1]![1];
    expect(Math.abs(ratio - refRatio)).toBeLessThan(1);
  });

  it('writes a deterministic, indexable set of mixed canvases and formats', async () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    const c = path.join(dir, 'c');
    const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const res = await synthesizeDataset(a, { seed: 3, scale: 0.02, progress: false });
      await synthesizeDataset(b, { seed: 3, scale: 0.02, progress: false });
      await synthesizeDataset(c, { seed: 4, scale: 0.02, progress: false });
      expect(res.classes).toHaveLength(31);
      const files = listFiles(a);
      expect(listFiles(b)).toEqual(files);
      const same = files.every((f) => fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))));
      expect(same).toBe(true);
      const differs = files.filter((f) => f.endsWith('.jpg') && fs.existsSync(path.join(c, f)))
        .some((f) => !fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(c, f))));
      expect(differs).toBe(true);

      const index = await indexDataset(a);
      expect(index.items).toHaveLength(res.count);
      expect(index.skipped).toEqual([]);
      expect(index.classes).toEqual(res.classes);
      const shapes = new Set<string>();
      const formats = new Set<string>();
      let longest = 0;
      for (const it of index.items) {
        const m = await sharp(path.join(a, it.path)).metadata();
        formats.add(m.format);
        shapes.add(m.width === m.height ? 'square' : m.width > m.height ? 'landscape' : 'portrait');
        longest = Math.max(longest, m.width, m.height);
      }
      expect([...shapes].sort()).toEqual(['landscape', 'portrait', 'square']);
      expect([...formats].sort()).toEqual(['jpeg', 'png']);
      expect(longest).toBeLessThanOrEqual(160);
      // A second run over an existing synthetic folder replaces it; other folders are refused.
      await synthesizeDataset(a, { seed: 3, scale: 0.02, progress: false });
      fs.mkdirSync(path.join(dir, 'mine'));
      fs.writeFileSync(path.join(dir, 'mine', 'keep.txt'), 'x');
      await expect(synthesizeDataset(path.join(dir, 'mine'), { seed: 1, scale: 0.02 })).rejects.toThrow(/mine: holds files Tim did not write \(keep\.txt\)/);
    } finally {
      quiet.mockRestore();
    }
  }, 60_000);

  it('adds extra artists painted in a texture none of the 31 uses', async () => {
    const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const res = await synthesizeDataset(path.join(dir, 'x'), { seed: 3, scale: 0.02, progress: false, extraArtists: 2 });
      expect(res.classes).toHaveLength(REFERENCE_ARTISTS.length + 2);
      expect(res.classes).toEqual(expect.arrayContaining(['Extra_Artist_1', 'Extra_Artist_2']));
      const index = await indexDataset(path.join(dir, 'x'), { warn: false });
      expect(index.items.filter((it) => index.classes[it.label] === 'Extra_Artist_2').length).toBeGreaterThanOrEqual(4);
      const reference = REFERENCE_ARTISTS.map((_, k) => artistStyle(k).texture);
      expect(reference).not.toContain(artistStyle(REFERENCE_ARTISTS.length).texture);
    } finally {
      quiet.mockRestore();
    }
  }, 60_000);
});
