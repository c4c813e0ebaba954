/**
 * Notebook: training results. Turns run folders into one self-contained HTML page with the
 * comparison table (bootstrap intervals), the data set, and per run the training curves, the
 * confusion matrix and the per-class metrics.
 *
 *   npm run report -- --runs checkpoints/a checkpoints/b --out reports/training_results.html
 */
import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../src/core/errors';
import { compareRunDirs, pairwiseMethod } from '../src/evaluate/paired';
import { readRunData, type RunData } from '../src/experiments/run-data';
import { RUN_FILES } from '../src/io/run-folder';
import { readLrFindFolder } from '../src/lr-find/result-file';
import { datasetOverview, type DatasetOverview } from './lib/dataset-overview';
import { escapeMarkup, writePage } from './lib/html';
import { lrFindAnchor, lrFindSection } from './lib/lr-find-section';
import { reportPage } from './lib/page';
import type { ReportChartData } from './lib/report-model';
import { chart, comparisonTable, datasetSection, intervalPoints, runAnchor, runChartData, runSection } from './lib/sections';

export interface DatasetSummary {
  overview: DatasetOverview;
  usedBy: string[];
}

/** One overview per distinct data set (root and classes) among the runs. */
export async function datasetsOf(runs: readonly RunData[], dataRoot?: string): Promise<DatasetSummary[]> {
  const groups = new Map<string, { run: RunData; usedBy: string[] }>();
  for (const run of runs) {
    if (!run.split) continue;
    const key = `${run.split.root}\n${run.split.classes.join('\n')}\n${run.split.seed}\n${run.split.val_fraction}`;
    const g = groups.get(key);
    if (g) g.usedBy.push(run.name);
    else groups.set(key, { run, usedBy: [run.name] });
  }
  const out: DatasetSummary[] = [];
  for (const g of groups.values()) {
    if (!g.run.split) continue;
    out.push({ overview: await datasetOverview(g.run.split, { root: dataRoot }), usedBy: g.usedBy });
  }
  return out;
}

export function readRuns(dirs: readonly string[]): RunData[] {
  if (dirs.length === 0) throw new TimError('no run folders given (--runs DIR...)');
  return dirs.map((d) => {
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) throw new TimError(`run folder ${d} does not exist`);
    const run = readRunData(d);
    if (!run.config && run.history.length === 0 && !run.metrics) throw new TimError(`${d}: not a Tim run folder (no config.yaml, history.jsonl or metrics.json)`);
    return run;
  });
}

/** Run names made unique (two folders may share a base name). */
export function uniqueNames(runs: RunData[]): RunData[] {
  const seen = new Map<string, number>();
  return runs.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r : { ...r, name: `${r.name} (${n})` };
  });
}

/**
 * The training report of `runs`, with a section for each lr-find folder in `lrFinds` (its chart,
 * suggestions and group rates); either list may be empty, not both.
 */
export async function buildTrainingReport(opts: { runs: string[]; out: string; dataRoot?: string; title?: string; lrFinds?: string[] }): Promise<string> {
  // Every named folder is read before anything is written: a damaged one is a one-line error.
  const lrFinds = (opts.lrFinds ?? []).map(readLrFindFolder);
  const runs = opts.runs.length > 0 || lrFinds.length === 0 ? uniqueNames(readRuns(opts.runs)) : [];
  const datasets = await datasetsOf(runs, opts.dataRoot);
  const data: ReportChartData = {
    runs: runs.map(runChartData),
    intervals: intervalPoints(runs),
    datasets: datasets.map((d) => ({ classes: d.overview.classes, aspectRatios: d.overview.aspectRatios })),
  };
  const evaluated = runs.filter((r) => r.metrics).length;
  const comparison = runs.length === 0 ? '' : `<section class="card" id="comparison"><h2>Comparison</h2>
<p class="note">Metrics of each run's <code>best/</code> model on its own held-out split. Below each value: the bootstrap 95% interval. The best accuracy is highlighted; runs whose intervals overlap are not clearly different.</p>
${comparisonTable(runs)}
${evaluated > 0 ? `<div class="grid2">${chart('intervals', { metric: 'accuracy' }, 'Accuracy with 95% interval')}${chart('intervals', { metric: 'f1_macro' }, 'F1 (macro) with 95% interval')}</div>` : ''}
${runs.length > 1 ? `<h3>Validation curves of all runs</h3><div class="grid2">${chart('overlay-val_acc', {}, 'Validation accuracy')}${chart('overlay-val_loss', {}, 'Validation loss')}</div>` : ''}</section>`;
  const scored = runs.filter((r) => r.metrics && fs.existsSync(path.join(r.dir, RUN_FILES.predictions)));
  const cmp = scored.length > 1 ? compareRunDirs(scored.map((r) => ({ label: r.name, dir: r.dir }))) : undefined;
  const paired = cmp
    ? `<section class="card" id="pairs"><h2>Paired comparisons</h2><p class="note">${escapeMarkup(pairwiseMethod(cmp))}</p><ul class="pairs">${cmp.pairs.map((p) => `<li>${escapeMarkup(p.sentence)}</li>`).join('')}</ul></section>`
    : '';
  const body = [comparison, paired, ...lrFinds.map(lrFindSection), ...datasets.map((d, i) => datasetSection(d.overview, i, d.usedBy)), ...runs.map((r, i) => runSection(r, i))].filter(Boolean).join('\n');
  const toc = [
    ...(comparison ? [{ href: '#comparison', label: 'Comparison' }] : []),
    ...(paired ? [{ href: '#pairs', label: 'Paired tests' }] : []),
    ...lrFinds.map((f, i) => ({ href: `#${lrFindAnchor(i)}`, label: lrFinds.length > 1 ? `LR finder: ${f.result.config}` : 'LR finder' })),
    ...datasets.map((_, i) => ({ href: `#dataset-${i + 1}`, label: datasets.length > 1 ? `Data set ${i + 1}` : 'Data set' })),
    ...runs.map((r, i) => ({ href: `#${runAnchor(i)}`, label: r.name })),
  ];
  const subtitle = [
    ...(runs.length > 0 ? [`${runs.length} run${runs.length === 1 ? '' : 's'}: ${runs.map((r) => escapeMarkup(r.name)).join(', ')}`] : []),
    ...(lrFinds.length > 0 ? [`LR finder: ${lrFinds.map((f) => escapeMarkup(f.result.config)).join(', ')}`] : []),
  ];
  const html = reportPage({
    title: opts.title ?? (runs.length > 0 ? 'Training results' : 'LR finder'),
    subtitle,
    toc,
    body,
    data,
  });
  return writePage(opts.out, html);
}

export const DEFAULT_TRAINING_REPORT = path.join('reports', 'training_results.html');
/** The default page of `tim report --lr-find DIR` without --runs. */
export const DEFAULT_LR_FIND_REPORT = path.join('reports', 'lr_find.html');
