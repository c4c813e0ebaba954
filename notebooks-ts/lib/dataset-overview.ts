import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import type { SplitManifest } from '../../src/data/types';

/** What the data-set section of a report shows. */
export interface DatasetOverview {
  root: string;
  /** Whether the image folder was found, so sizes and aspect ratios could be read. */
  rootFound: boolean;
  classes: { name: string; train: number; val: number }[];
  totals: { train: number; val: number };
  /** File formats: from the image headers when the folder is there, else from the extensions. */
  formats: { format: string; count: number }[];
  /** Width / height of a sample of the images (empty without the folder). */
  aspectRatios: number[];
  /** Median width and height of the sample. */
  medianSize?: { width: number; height: number };
  sampled: number;
  unreadable: number;
  valFraction: number;
  seed: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function extensionOf(file: string): string {
  const ext = path.extname(file).slice(1).toLowerCase();
  return ext === 'jpg' ? 'jpeg' : ext === 'tif' ? 'tiff' : ext || '(none)';
}

function tally(values: string[]): { format: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].map(([format, count]) => ({ format, count })).sort((a, b) => b.count - a.count || a.format.localeCompare(b.format));
}

/** Every `step`-th item, so a sample spreads over all classes (the items are in class order). */
function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)] as T);
}

/**
 * Class counts, formats and aspect ratios of a run's data set, from its split.json and, when
 * the image folder is there, from the image headers (a spread sample of at most `maxProbe`).
 */
export async function datasetOverview(split: SplitManifest, opts: { root?: string; maxProbe?: number } = {}): Promise<DatasetOverview> {
  const root = opts.root ?? split.root;
  const rootFound = fs.existsSync(root) && fs.statSync(root).isDirectory();
  const classes = split.classes.map((name) => ({ name, train: 0, val: 0 }));
  for (const it of split.train) {
    const c = classes[it.label];
    if (c) c.train++;
  }
  for (const it of split.val) {
    const c = classes[it.label];
    if (c) c.val++;
  }
  const all = [...split.train, ...split.val].sort((a, b) => a.label - b.label || a.path.localeCompare(b.path));
  let formats = tally(all.map((it) => extensionOf(it.path)));
  const aspectRatios: number[] = [];
  const widths: number[] = [];
  const heights: number[] = [];
  let unreadable = 0;
  let sampled = 0;
  if (rootFound) {
    const sample = spread(all, opts.maxProbe ?? 800);
    sampled = sample.length;
    const found: string[] = [];
    // Header reads only; a few at a time keeps file handles and memory small.
    for (let i = 0; i < sample.length; i += 16) {
      const metas = await Promise.all(
        sample.slice(i, i + 16).map(async (it) => {
          try {
            return await sharp(path.join(root, it.path)).metadata();
          } catch {
            return undefined;
          }
        }),
      );
      for (const m of metas) {
        if (!m?.width || !m.height) {
          unreadable++;
          continue;
        }
        // EXIF orientations 5-8 swap width and height once the image is turned upright.
        const turned = (m.orientation ?? 1) >= 5;
        const w = turned ? m.height : m.width;
        const h = turned ? m.width : m.height;
        aspectRatios.push(w / h);
        widths.push(w);
        heights.push(h);
        found.push(m.format ?? 'unknown');
      }
    }
    if (found.length > 0 && found.length === sampled && sampled === all.length) formats = tally(found);
  }
  return {
    root,
    rootFound,
    classes,
    totals: { train: split.train.length, val: split.val.length },
    formats,
    aspectRatios,
    medianSize: widths.length ? { width: median(widths), height: median(heights) } : undefined,
    sampled,
    unreadable,
    valFraction: split.val_fraction,
    seed: split.seed,
  };
}
