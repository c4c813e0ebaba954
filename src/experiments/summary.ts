import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../core/errors';
import { compareRunDirs, pairwiseMarkdown, pairwiseRows, type PairwiseComparison } from '../evaluate/paired';
import { writeFileAtomic } from '../io/atomic';
import { HEADLINE_METRICS, RUN_FILES, SWEEP_FILES, sweepManifestFile, type HeadlineMetric, type SweepManifest } from '../io/run-folder';
import { markdownCell } from '../core/markup';
import { csvText } from '../io/csv';
import { intervalOf, isFinishedRun, listRunDirs, readRunData, type RunData } from './run-data';
import { LISTED_RUN_KEY, REPEAT_KEYS, type GridAxis, type GridValue, type SweepSpec } from './sweep-spec';
import { configurationSpreads, varianceMarkdown, varianceRows } from './variance';

export type { SweepManifest } from '../io/run-folder';

export function manifestOf(spec: SweepSpec, runs: { name: string; values: Record<string, GridValue>; reference?: string }[]): SweepManifest {
  const listedAxis = spec.runs ? [{ key: LISTED_RUN_KEY, label: LISTED_RUN_KEY, values: spec.runs.map((r) => r.name) }] : [];
  return {
    name: spec.name,
    ...(spec.basePath ? { base: spec.basePath } : {}),
    fixed: spec.fixed,
    grid: [...listedAxis, ...spec.grid.map((a) => ({ key: a.key, label: a.label, values: a.values }))],
    runs: runs.map((r) => ({ name: r.name, values: r.values, ...(r.reference ? { reference: r.reference } : {}) })),
    ...(spec.runs ? { listed: spec.runs.map((r) => ({ name: r.name, base: r.basePath, set: r.set, ...(r.reference ? { reference: r.reference } : {}) })) } : {}),
  };
}

export function writeManifest(dir: string, manifest: SweepManifest): void {
  sweepManifestFile.write(path.join(dir, SWEEP_FILES.manifest), manifest);
}

export function readManifest(dir: string): SweepManifest | undefined {
  const f = path.join(dir, SWEEP_FILES.manifest);
  return fs.existsSync(f) ? sweepManifestFile.read(f) : undefined;
}

/** One finished run of a sweep with its grid values. */
export interface SweepRow {
  run: RunData;
  values: Record<string, GridValue>;
}

/** Finished runs of a sweep folder, in run-name order, with the values that made them. */
export function finishedSweepRows(dir: string): { manifest?: SweepManifest; rows: SweepRow[] } {
  const manifest = readManifest(dir);
  const byName = new Map((manifest?.runs ?? []).map((r) => [r.name, r.values]));
  const rows = listRunDirs(dir)
    .filter(isFinishedRun)
    .map((d) => {
      const run = readRunData(d);
      return { run, values: byName.get(run.name) ?? {} };
    });
  return { manifest, rows };
}

function fixed(v: number | undefined, digits = 3): string {
  return v === undefined ? '' : v.toFixed(digits);
}

/** A recorded figure for a table cell: nothing for a run not evaluated, or a figure not defined (NaN, null in the file). */
function known(v: number | undefined): number | undefined {
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

/** `0.806 [0.781, 0.829]`, or the bare value when there is no interval. */
export function withInterval(run: RunData, key: HeadlineMetric): string {
  const value = known(run.metrics?.[key]);
  const ci = intervalOf(run.metrics, key);
  if (value === undefined) return '–';
  const lo = known(ci?.lo);
  const hi = known(ci?.hi);
  return lo !== undefined && hi !== undefined ? `${value.toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}]` : value.toFixed(3);
}

function gridAxes(manifest: SweepManifest | undefined): Pick<GridAxis, 'key' | 'label'>[] {
  return manifest?.grid ?? [];
}

export function summaryCsv(manifest: SweepManifest | undefined, rows: SweepRow[]): string {
  const axes = gridAxes(manifest);
  const header = [
    'run',
    ...axes.map((a) => a.key),
    'arch',
    'best_epoch',
    'stopped_epoch',
    'train_seconds',
    ...HEADLINE_METRICS.flatMap((k) => [k, `${k}_lo`, `${k}_hi`]),
    'top3_accuracy',
    'ece',
  ];
  const body = rows.map(({ run, values }) => [
    run.name,
    ...axes.map((a) => values[a.key] ?? ''),
    run.config?.model.arch ?? '',
    run.summary?.best_epoch ?? '',
    run.summary?.stopped_epoch ?? '',
    fixed(run.summary?.total_seconds, 1),
    ...HEADLINE_METRICS.flatMap((k) => {
      const ci = intervalOf(run.metrics, k);
      return [known(run.metrics?.[k]) ?? '', known(ci?.lo) ?? '', known(ci?.hi) ?? ''];
    }),
    known(run.metrics?.top3_accuracy) ?? '',
    known(run.metrics?.ece) ?? '',
  ]);
  return csvText([header, ...body], { numbers: 'full' });
}

export function summaryMarkdown(manifest: SweepManifest | undefined, rows: SweepRow[], total?: number): string {
  const axes = gridAxes(manifest);
  const header = ['run', ...axes.map((a) => a.key), 'best epoch', 'accuracy [95% CI]', 'F1 macro [95% CI]', 'F1 weighted [95% CI]', 'top-3', 'ECE'];
  const lines = [
    `# Sweep ${manifest?.name ?? ''}`.trimEnd(),
    '',
    `${rows.length}${total !== undefined ? ` of ${total}` : ''} runs finished. Metrics on each run's held-out split; intervals are bootstrap 95% intervals.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 || i <= axes.length ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const { run, values } of rows) {
    const cells = [
      run.name,
      ...axes.map((a) => String(values[a.key] ?? '')),
      String(run.summary?.best_epoch ?? '–'),
      withInterval(run, 'accuracy'),
      withInterval(run, 'f1_macro'),
      withInterval(run, 'f1_weighted'),
      known(run.metrics?.top3_accuracy)?.toFixed(3) ?? '–',
      known(run.metrics?.ece)?.toFixed(3) ?? '–',
    ];
    lines.push(`| ${cells.map(markdownCell).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Which runs a sweep compares: those whose grid values differ in exactly one key (the effect of
 * one setting with the others held), or every pair when the grid values are not known. Runs
 * that differ only in a seed or a fold repeat one configuration and are not compared.
 */
export function comparablePairs(manifest: SweepManifest | undefined, rows: readonly SweepRow[]): [number, number][] {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const pairs: [number, number][] = [];
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const differing = keys.filter((k) => (rows[i] as SweepRow).values[k] !== (rows[j] as SweepRow).values[k]);
      if (!manifest || keys.length === 0 || (differing.length === 1 && !REPEAT_KEYS.includes(differing[0] as string))) pairs.push([i, j]);
    }
  }
  return pairs;
}

/** Paired comparisons of the finished runs that have predictions.csv; the others are left out, with a note. */
export function sweepPairs(manifest: SweepManifest | undefined, rows: readonly SweepRow[], opts: { resamples?: number; seed?: number } = {}): { comparison: PairwiseComparison; missing: string[] } {
  const scored = rows.filter((r) => fs.existsSync(path.join(r.run.dir, RUN_FILES.predictions)));
  const missing = rows.filter((r) => !scored.includes(r)).map((r) => r.run.name);
  const comparison = compareRunDirs(
    scored.map((r) => ({ label: r.run.name, dir: r.run.dir })),
    { ...opts, pairs: comparablePairs(manifest, scored) },
  );
  return { comparison, missing };
}

function pairsSection(pairs: ReturnType<typeof sweepPairs>): string {
  const lines = [pairwiseMarkdown(pairs.comparison)];
  if (pairs.comparison.pairs.length > 0) lines.unshift('Runs are compared when their grid values differ in one key only.', '');
  if (pairs.missing.length > 0) lines.push(`Not compared (no ${RUN_FILES.predictions}; evaluate them again): ${pairs.missing.join(', ')}.`, '');
  return lines.join('\n');
}

/** Writes `summary.csv`, `summary.md` and `pairs.csv` for every finished run in a sweep folder. */
export function writeSweepSummary(dir: string, opts: { resamples?: number; seed?: number } = {}): { csv: string; md: string; pairs: string; finished: number } {
  if (!fs.existsSync(dir)) throw new TimError(`sweep folder ${dir} does not exist`);
  const { manifest, rows } = finishedSweepRows(dir);
  const csv = path.join(dir, SWEEP_FILES.summaryCsv);
  const md = path.join(dir, SWEEP_FILES.summaryMd);
  const pairsFile = path.join(dir, SWEEP_FILES.pairsCsv);
  const pairs = sweepPairs(manifest, rows, opts);
  const axes = gridAxes(manifest);
  const spreads = configurationSpreads(axes, rows, opts);
  writeFileAtomic(csv, summaryCsv(manifest, rows));
  writeFileAtomic(pairsFile, csvText(pairwiseRows(pairs.comparison), { numbers: 'full' }));
  if (spreads.length > 0) writeFileAtomic(path.join(dir, SWEEP_FILES.varianceCsv), csvText(varianceRows(axes, spreads), { numbers: 'full' }));
  const variance = varianceMarkdown(spreads);
  writeFileAtomic(md, `${summaryMarkdown(manifest, rows, manifest?.runs.length)}\n${variance ? `${variance}\n` : ''}${pairsSection(pairs)}`);
  return { csv, md, pairs: pairsFile, finished: rows.length };
}
