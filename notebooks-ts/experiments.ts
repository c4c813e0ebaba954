/**
 * Notebook: experiments. Turns a sweep folder into one HTML page: what was varied, the runs
 * with their grid values and intervals, the average effect of each setting, the validation
 * curves of all runs together, and each run's details.
 *
 *   npm run report -- --sweep checkpoints/sweeps/padding_batch
 */
import * as fs from 'fs';
import * as path from 'path';
import { TimError } from '../src/core/errors';
import { intervalOf, isFinishedRun, listRunDirs, readRunData, type RunData } from '../src/experiments/run-data';
import { pairwiseMethod } from '../src/evaluate/paired';
import { loadReference, testClaims } from '../src/experiments/reference';
import { finishedSweepRows, readManifest, sweepPairs, type SweepManifest, type SweepRow } from '../src/experiments/summary';
import type { GridValue } from '../src/experiments/sweep-spec';
import { configurationSpreads, varianceMethod, varianceSentences } from '../src/experiments/variance';
import { escapeMarkup, writePage } from './lib/html';
import { reportPage } from './lib/page';
import type { ReportChartData } from './lib/report-model';
import { chart, comparisonTable, datasetSection, intervalPoints, runAnchor, runChartData, runSection, type LeadColumns } from './lib/sections';
import { datasetsOf } from './training-results';

function valuesOf(manifest: SweepManifest | undefined, run: RunData): Record<string, GridValue> {
  return manifest?.runs.find((r) => r.name === run.name)?.values ?? {};
}

/** Mean accuracy (and F1 macro) over the finished runs sharing each value of each grid key. */
function effectsTable(manifest: SweepManifest, runs: readonly RunData[]): string {
  const rows: string[] = [];
  for (const axis of manifest.grid) {
    for (const value of axis.values) {
      const with_ = runs.filter((r) => valuesOf(manifest, r)[axis.key] === value && typeof r.metrics?.accuracy === 'number');
      const mean = (k: string) => (with_.length ? with_.reduce((s, r) => s + (r.metrics?.[k] as number), 0) / with_.length : undefined);
      const acc = mean('accuracy');
      const f1 = with_.every((r) => typeof r.metrics?.f1_macro === 'number') ? mean('f1_macro') : undefined;
      rows.push(`<tr><td><code>${escapeMarkup(axis.key)}</code></td><td>${escapeMarkup(String(value))}</td><td class="num">${with_.length}</td><td class="num">${acc?.toFixed(3) ?? '–'}</td><td class="num">${f1?.toFixed(3) ?? '–'}</td></tr>`);
    }
  }
  return `<table><thead><tr><th>setting</th><th>value</th><th class="num">finished runs</th><th class="num">mean accuracy</th><th class="num">mean F1 (macro)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function sentenceList(items: readonly string[]): string {
  return `<ul class="pairs">${items.map((t) => `<li>${escapeMarkup(t)}</li>`).join('')}</ul>`;
}

/** Per run: the reference's published figure, its own held-out best epoch, and Tim's held-out figure. */
function referenceSection(manifest: SweepManifest, rows: readonly SweepRow[], runs: readonly RunData[], opts: { resamples?: number; seed?: number }): string {
  const reference = loadReference();
  const listed = manifest.runs.filter((r) => r.reference);
  const body = listed.map((r) => {
    const ref = r.reference ? reference.runs.get(r.reference) : undefined;
    const run = runs.find((x) => x.name === r.name);
    const acc = run?.metrics?.accuracy;
    const ci = intervalOf(run?.metrics, 'accuracy');
    const tim = typeof acc === 'number' ? `${pct(acc)}${ci ? `<div class="ci">[${pct(ci.lo)}, ${pct(ci.hi)}]</div>` : ''}` : '<span class="ci">not finished</span>';
    const published = ref?.published === null || ref?.published === undefined ? '–' : pct(ref.published);
    const held = ref ? `${pct(ref.bestVal.accuracy)} <span class="ci">epoch ${ref.bestVal.epoch}</span>` : '–';
    return `<tr><td>${escapeMarkup(r.name)}</td><td>${escapeMarkup(ref?.title ?? r.reference ?? '')}</td><td class="num">${published}</td><td class="num">${held}</td><td class="num">${tim}</td></tr>`;
  });
  const { claims, comparison } = testClaims(reference, manifest, rows, opts);
  const claimItems = claims.map((c) => `${c.claim.text}: ${c.comparison ? c.comparison.sentence : (c.note ?? '')}`);
  return `<section class="card" id="reference"><h2>Beside the reference</h2>
<p class="note">The reference's published accuracy was a ${escapeMarkup(reference.publishedMethod)}, so it mostly measures images the models had learned. Its honest figure is the best validation accuracy in its own training history (held-out images, best epoch). Tim's figure is the accuracy of the run's <code>best/</code> model on its held-out split, with the bootstrap 95% interval.</p>
<div class="table-wrap"><table class="reference"><thead><tr><th>run</th><th>reference run</th><th class="num">published (leaky 20% sample)</th><th class="num">reference held-out, best epoch</th><th class="num">Tim held-out [95% CI]</th></tr></thead><tbody>${body.join('')}</tbody></table></div>
<h3>The reference's claims, tested on the same held-out images</h3>
${comparison ? `<p class="note">${escapeMarkup(pairwiseMethod(comparison))}</p>` : ''}
${sentenceList(claimItems)}</section>`;
}

export async function buildSweepReport(opts: { sweep: string; out?: string; dataRoot?: string; resamples?: number; seed?: number }): Promise<string> {
  const dir = opts.sweep;
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new TimError(`sweep folder ${dir} does not exist`);
  const manifest = readManifest(dir);
  const all = listRunDirs(dir);
  if (all.length === 0) throw new TimError(`${dir}: no run folders in it (is it a sweep folder?)`);
  const runs = all.map(readRunData);
  const finished = all.filter(isFinishedRun).length;
  const name = manifest?.name ?? path.basename(path.resolve(dir));
  const axes = manifest?.grid ?? [];
  const lead: LeadColumns = axes.length
    ? { headers: axes.map((a) => a.key), cells: (run) => axes.map((a) => String(valuesOf(manifest, run)[a.key] ?? '?')) }
    : { headers: ['architecture'], cells: (run) => [run.config?.model.arch ?? '?'] };
  const datasets = await datasetsOf(runs, opts.dataRoot);
  const data: ReportChartData = {
    runs: runs.map(runChartData),
    intervals: intervalPoints(runs),
    datasets: datasets.map((d) => ({ classes: d.overview.classes, aspectRatios: d.overview.aspectRatios })),
  };
  const planned = manifest?.runs.length ?? runs.length;
  const setup = manifest
    ? `<p class="note">${manifest.base ? `Base config <code>${escapeMarkup(path.basename(manifest.base))}</code>` : `Runs: ${(manifest.listed ?? []).map((r) => `<code>${escapeMarkup(r.name)}</code> (${escapeMarkup(path.basename(r.base))}${Object.entries(r.set).map(([k, v]) => ` ${escapeMarkup(k)}=${escapeMarkup(String(v))}`).join('')})`).join(', ')}`}${Object.keys(manifest.fixed).length ? `; for every run ${Object.entries(manifest.fixed).map(([k, v]) => `<code>${escapeMarkup(k)}=${escapeMarkup(String(v))}</code>`).join(' ')}` : ''}. Grid: ${manifest.grid.map((a) => `<code>${escapeMarkup(a.key)}</code> ∈ {${a.values.map((v) => escapeMarkup(String(v))).join(', ')}}`).join(' × ')}.</p>`
    : '<p class="note">No sweep.json in this folder: grid values are not known, runs are listed by folder.</p>';
  const overview = `<section class="card" id="overview"><h2>Runs</h2>${setup}
<p class="note">${finished} of ${planned} runs finished. Metrics on each run's held-out split, with bootstrap 95% intervals.</p>
${comparisonTable(runs, lead)}
<div class="grid2">${chart('intervals', { metric: 'accuracy' }, 'Accuracy with 95% interval')}${chart('intervals', { metric: 'f1_macro' }, 'F1 (macro) with 95% interval')}</div></section>`;
  const effects = manifest && finished > 0
    ? `<section class="card" id="effects"><h2>Effect of each setting</h2><p class="note">Each value's mean over the finished runs that used it. With one run per combination these are averages over the other settings, not intervals; read them with the table above.</p>${effectsTable(manifest, runs)}</section>`
    : '';
  const { rows } = finishedSweepRows(dir);
  const evalOpts = { resamples: opts.resamples, seed: opts.seed };
  const pairs = sweepPairs(manifest, rows, evalOpts);
  const paired = pairs.comparison.pairs.length
    ? `<section class="card" id="pairs"><h2>Paired comparisons</h2><p class="note">Runs whose grid values differ in one key only. ${escapeMarkup(pairwiseMethod(pairs.comparison))}</p>${sentenceList(pairs.comparison.pairs.map((p) => p.sentence))}${pairs.missing.length ? `<p class="note">Not compared (no predictions.csv): ${escapeMarkup(pairs.missing.join(', '))}.</p>` : ''}</section>`
    : '';
  const spreads = configurationSpreads(manifest?.grid ?? [], rows, evalOpts);
  const variance = spreads.length ? `<section class="card" id="variance"><h2>Training variance</h2><p class="note">${escapeMarkup(varianceMethod(spreads))}</p>${sentenceList(varianceSentences(spreads))}</section>` : '';
  const reference = manifest?.runs.some((r) => r.reference) ? referenceSection(manifest, rows, runs, evalOpts) : '';
  const curves = `<section class="card" id="curves"><h2>Validation curves</h2><div class="grid2">${chart('overlay-val_acc', {}, 'Validation accuracy')}${chart('overlay-val_loss', {}, 'Validation loss')}</div></section>`;
  const body = [overview, reference, effects, variance, paired, curves, ...datasets.map((d, i) => datasetSection(d.overview, i, d.usedBy)), ...runs.map((r, i) => runSection(r, i))].join('\n');
  const toc = [
    { href: '#overview', label: 'Runs' },
    ...(reference ? [{ href: '#reference', label: 'Reference' }] : []),
    ...(effects ? [{ href: '#effects', label: 'Effects' }] : []),
    ...(variance ? [{ href: '#variance', label: 'Variance' }] : []),
    ...(paired ? [{ href: '#pairs', label: 'Paired tests' }] : []),
    { href: '#curves', label: 'Curves' },
    ...datasets.map((_, i) => ({ href: `#dataset-${i + 1}`, label: 'Data set' })),
    ...runs.map((r, i) => ({ href: `#${runAnchor(i)}`, label: r.name })),
  ];
  const html = reportPage({ title: `Experiments: ${name}`, subtitle: [`Sweep folder <code>${escapeMarkup(dir)}</code>`], toc, body, data });
  return writePage(opts.out ?? path.join('reports', `experiments_${name}.html`), html);
}
