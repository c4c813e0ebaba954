import { indexDatasetDetailed } from './index-dataset';
import type { SkippedFile } from './types';
import { findNearDuplicates, type NearDuplicateRecord } from './near-duplicates';

/** What `tim data inspect` reports about an image folder. */
export interface DatasetReport {
  root: string;
  classes: Array<{ name: string; count: number }>;
  total: number;
  /** Largest class over smallest class. */
  imbalance: number;
  formats: Record<string, number>;
  width: { min: number; median: number; max: number };
  height: { min: number; median: number; max: number };
  /** Width over height. */
  aspect: { min: number; median: number; max: number; portrait: number; square: number; landscape: number };
  broken: SkippedFile[];
  /** Groups of near-duplicate images (the same painting resized, re-encoded or cropped). */
  near_duplicates: NearDuplicateRecord;
}

function stats(values: number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length ? (s.length % 2 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2) : 0;
  return { min: s[0] ?? 0, median: mid, max: s[s.length - 1] ?? 0 };
}

/** Portrait below 0.9 width/height, landscape above 1.1, square between. */
export async function inspectDataset(root: string): Promise<DatasetReport> {
  const index = await indexDatasetDetailed(root, { warn: false });
  const counts = index.classes.map((name, label) => ({ name, count: index.items.filter((it) => it.label === label).length }));
  const formats: Record<string, number> = {};
  const widths: number[] = [];
  const heights: number[] = [];
  const ratios: number[] = [];
  for (const d of index.details.values()) {
    const f = d.format ?? 'unknown';
    formats[f] = (formats[f] ?? 0) + 1;
    if (d.width && d.height) {
      widths.push(d.width);
      heights.push(d.height);
      ratios.push(d.width / d.height);
    }
  }
  const sizes = counts.map((c) => c.count);
  return {
    root,
    classes: counts,
    total: index.items.length,
    imbalance: Math.max(...sizes) / Math.max(1, Math.min(...sizes)),
    formats,
    width: stats(widths),
    height: stats(heights),
    aspect: {
      ...stats(ratios),
      portrait: ratios.filter((r) => r < 0.9).length,
      square: ratios.filter((r) => r >= 0.9 && r <= 1.1).length,
      landscape: ratios.filter((r) => r > 1.1).length,
    },
    broken: index.skipped,
    near_duplicates: await findNearDuplicates(index.root, index.items.map((it) => it.path)),
  };
}

/** The report as text for a terminal. */
export function formatDatasetReport(r: DatasetReport): string {
  const lines: string[] = [];
  const pct = (n: number): string => `${((100 * n) / Math.max(1, r.total)).toFixed(1)}%`;
  const largest = r.classes.reduce((a, b) => (b.count > a.count ? b : a));
  const smallest = r.classes.reduce((a, b) => (b.count < a.count ? b : a));
  lines.push(`data set   ${r.root}`);
  lines.push(`images     ${r.total} in ${r.classes.length} classes, ${r.broken.length} broken file(s) skipped`);
  lines.push(`imbalance  ${r.imbalance.toFixed(1)}x (largest ${largest.name} ${largest.count}, smallest ${smallest.name} ${smallest.count})`);
  lines.push('');
  const w = Math.max(5, ...r.classes.map((c) => c.name.length));
  lines.push(`${'class'.padEnd(w)}  images   share`);
  for (const c of r.classes) lines.push(`${c.name.padEnd(w)}  ${String(c.count).padStart(6)}  ${pct(c.count).padStart(6)}`);
  lines.push('');
  lines.push(`formats    ${Object.entries(r.formats).sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} ${n}`).join(', ')}`);
  const mmm = (s: { min: number; median: number; max: number }, digits = 0): string =>
    `min ${s.min.toFixed(digits)}, median ${s.median.toFixed(digits)}, max ${s.max.toFixed(digits)}`;
  lines.push(`width      ${mmm(r.width)} px`);
  lines.push(`height     ${mmm(r.height)} px`);
  lines.push(`aspect     width/height ${mmm(r.aspect, 2)}`);
  lines.push(`           portrait ${r.aspect.portrait} (${pct(r.aspect.portrait)}), square ${r.aspect.square} (${pct(r.aspect.square)}), landscape ${r.aspect.landscape} (${pct(r.aspect.landscape)})`);
  const groups = r.near_duplicates.groups;
  lines.push('');
  lines.push(`near-duplicates  ${groups.length} group(s) (${groups.reduce((a, g) => a + g.length, 0)} images; perceptual hash, at most ${r.near_duplicates.threshold} of 64 bits apart)`);
  groups.forEach((g, i) => lines.push(`  group ${i + 1}: ${g.join('  ')}`));
  if (r.broken.length) {
    lines.push('');
    lines.push('broken files');
    for (const b of r.broken) lines.push(`  ${b.path}: ${b.reason}`);
  }
  return lines.join('\n');
}
