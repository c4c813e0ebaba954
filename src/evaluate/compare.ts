import * as fs from 'fs';
import * as path from 'path';
import { log } from '../core/log';
import { TimError } from '../core/errors';
import { historyFile, metricsFile, openRunFolder, type RunFolder, summaryFile } from '../io/run-folder';
import type { BootstrapInterval } from './bootstrap';
import { markdownCell } from '../core/markup';
import { csvText } from '../io/csv';
import { compareRunDirs, pairwiseMarkdown, pairwiseRows, type PairedBootstrapOptions, type PairwiseComparison } from './paired';
import { evaluateRun, type EvaluateOptions } from './evaluate-run';

/** One run's line of the comparison table. */
export interface ComparisonRow {
  run: string;
  dir: string;
  arch: string;
  resize: string;
  batch: number;
  samples: number;
  accuracy: BootstrapInterval & { value: number };
  f1_weighted: BootstrapInterval & { value: number };
  f1_macro: BootstrapInterval & { value: number };
  /** Best epoch from summary.json (or history.jsonl); null when the run recorded none. */
  best_epoch: number | null;
}

export interface Comparison {
  markdown: string;
  csv: string;
  rows: ComparisonRow[];
  /** Every pair of runs: paired differences and McNemar's test, or why they are not paired. */
  pairwise: PairwiseComparison;
  /** One line per pair, as CSV. */
  pairsCsv: string;
}

function bestEpochOf(run: RunFolder): number | null {
  const summary = run.readIfPresent(summaryFile);
  if (summary) return summary.best_epoch;
  // A run still training (or stopped before its summary): the best epoch so far.
  let best: { epoch: number; acc: number } | null = null;
  for (const h of run.readLines(historyFile)) {
    if (!best || h.val_acc > best.acc) best = { epoch: h.epoch, acc: h.val_acc };
  }
  return best ? best.epoch : null;
}

/**
 * Refuses a run named twice (`--runs A A`, or two paths to one folder): compared with itself it
 * would show a difference of zero as if it were a finding.
 */
export function checkDistinctRuns(runDirs: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const dir of runDirs) {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      continue; // openRunFolder names a missing run
    }
    const first = seen.get(real);
    if (first !== undefined) throw new TimError(`--runs: '${dir}' is the same run as '${first}' (${real}); expected each run once`);
    seen.set(real, dir);
  }
}

/**
 * The names the table gives runs: the folder name, with as many parent folders as it takes to
 * tell apart runs of the same name from different places (a/seed-1 and b/seed-1).
 */
export function runLabels(runDirs: readonly string[]): string[] {
  const parts = runDirs.map((d) => path.resolve(d).split(path.sep).filter((p) => p !== ''));
  const depth = parts.map(() => 1);
  for (;;) {
    const labels = parts.map((p, i) => p.slice(-(depth[i] ?? 1)).join('/'));
    const clash = labels.map((l, i) => labels.indexOf(l) !== i || labels.lastIndexOf(l) !== i);
    if (!clash.some((c, i) => c && (depth[i] ?? 1) < (parts[i]?.length ?? 0))) return labels;
    clash.forEach((c, i) => {
      if (c) depth[i] = (depth[i] ?? 1) + 1;
    });
  }
}

function rowOf(dir: string, label: string): ComparisonRow {
  const run = openRunFolder(dir);
  if (!run.has('metrics')) throw new TimError(`${run.file('metrics')}: missing; evaluate the run first (tim evaluate --run ${dir})`);
  const m = run.read(metricsFile);
  const config = run.config();
  const b = m.bootstrap.metrics;
  return {
    run: label,
    dir,
    arch: config.model.arch,
    resize: config.data.resize,
    batch: config.train.batch_size,
    samples: m.num_samples,
    accuracy: { value: m.accuracy, ...b.accuracy },
    f1_weighted: { value: m.f1_weighted, ...b.f1_weighted },
    f1_macro: { value: m.f1_macro, ...b.f1_macro },
    best_epoch: bestEpochOf(run),
  };
}

const f3 = (v: number): string => v.toFixed(3);
const withInterval = (i: BootstrapInterval & { value: number }): string => `${f3(i.value)} [${f3(i.lo)}, ${f3(i.hi)}]`;

/** The comparison table of runs that have metrics.json, as Markdown and CSV, with the paired tests of every pair. */
export function compareRuns(runDirs: string[], opts: PairedBootstrapOptions = {}): Comparison {
  if (runDirs.length === 0) throw new TimError('compare: no runs given');
  checkDistinctRuns(runDirs);
  const labels = runLabels(runDirs);
  if (labels.some((l, i) => l !== path.basename(path.resolve(runDirs[i] ?? '')))) {
    log.info(`runs of the same folder name from different places are told apart by their parent folders: ${labels.join(', ')}`);
  }
  const rows = runDirs.map((d, i) => rowOf(d, labels[i] ?? d));
  const pairwise = compareRunDirs(
    rows.map((r) => ({ label: r.run, dir: r.dir })),
    opts,
  );
  const header = ['run', 'arch', 'resize', 'batch', 'val images', 'accuracy [95% CI]', 'F1 weighted [95% CI]', 'F1 macro [95% CI]', 'best epoch'];
  const cells = rows.map((r) => [r.run, r.arch, r.resize, String(r.batch), String(r.samples), withInterval(r.accuracy), withInterval(r.f1_weighted), withInterval(r.f1_macro), r.best_epoch === null ? '—' : String(r.best_epoch)]);
  const markdown = [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i >= 3 ? '---:' : '---')).join(' | ')} |`,
    ...cells.map((c) => `| ${c.map(markdownCell).join(' | ')} |`),
    '',
    'Held-out validation split of each run; intervals are 95% percentile bootstrap intervals over its predictions.',
    '',
    pairwiseMarkdown(pairwise),
  ].join('\n');
  const csv = csvText([
    ['run', 'arch', 'resize', 'batch', 'val_images', 'accuracy', 'accuracy_lo', 'accuracy_hi', 'f1_weighted', 'f1_weighted_lo', 'f1_weighted_hi', 'f1_macro', 'f1_macro_lo', 'f1_macro_hi', 'best_epoch'],
    ...rows.map((r) => [
      r.run,
      r.arch,
      r.resize,
      r.batch,
      r.samples,
      r.accuracy.value,
      r.accuracy.lo,
      r.accuracy.hi,
      r.f1_weighted.value,
      r.f1_weighted.lo,
      r.f1_weighted.hi,
      r.f1_macro.value,
      r.f1_macro.lo,
      r.f1_macro.hi,
      r.best_epoch ?? '',
    ]),
  ]);
  return { markdown, csv, rows, pairwise, pairsCsv: csvText(pairwiseRows(pairwise)) };
}

/** Evaluates the runs that lack metrics.json, then compares all of them. */
export async function evaluateAndCompare(runDirs: string[], opts: EvaluateOptions = {}): Promise<Comparison> {
  checkDistinctRuns(runDirs);
  for (const dir of runDirs) {
    const run = openRunFolder(dir);
    if (!run.has('metrics')) await evaluateRun(dir, { ...opts, data: undefined, out: undefined });
  }
  return compareRuns(runDirs, { resamples: opts.bootstrap, seed: opts.seed });
}
