import { intervalOf, type RunData } from '../../src/experiments/run-data';
import { HEADLINE_METRICS } from '../../src/io/run-folder';
import type { DatasetOverview } from './dataset-overview';
import { reliabilitySvgOf } from '../../src/evaluate/reliability';
import { escapeMarkup } from './html';
import type { ChartKind, IntervalPoint, RunChartData } from './report-model';

/** HTML pieces shared by the report notebooks. Charts are placeholders the page script fills. */

export const METRIC_LABELS: Record<string, string> = {
  accuracy: 'Accuracy',
  balanced_accuracy: 'Balanced accuracy',
  precision_weighted: 'Precision (weighted)',
  recall_weighted: 'Recall (weighted)',
  f1_weighted: 'F1 (weighted)',
  precision_macro: 'Precision (macro)',
  recall_macro: 'Recall (macro)',
  f1_macro: 'F1 (macro)',
  top3_accuracy: 'Top-3 accuracy',
  ece: 'ECE',
};

export function chart(kind: ChartKind, attrs: Record<string, string | number> = {}, title?: string): string {
  const extra = Object.entries(attrs)
    .map(([k, v]) => ` data-${k}="${escapeMarkup(v)}"`)
    .join('');
  return `<div>${title ? `<div class="chart-title">${escapeMarkup(title)}</div>` : ''}<div class="chart" data-chart="${kind}"${extra}></div></div>`;
}

/** An anchor id for a run section. */
export function runAnchor(i: number): string {
  return `run-${i + 1}`;
}

function pct(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : '–';
}

/** `0.806` with its interval below it. */
export function metricCell(run: RunData, key: string): string {
  const v = run.metrics?.[key];
  const ci = intervalOf(run.metrics, key);
  if (typeof v !== 'number') return '<td class="num">–</td>';
  return `<td class="num">${v.toFixed(3)}${ci ? `<div class="ci">[${ci.lo.toFixed(3)}, ${ci.hi.toFixed(3)}]</div>` : ''}</td>`;
}

function seconds(s: number | undefined): string {
  if (s === undefined) return '–';
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** The index of the run with the highest accuracy, if any has one. */
export function bestRunIndex(runs: readonly RunData[]): number | undefined {
  let best: number | undefined;
  runs.forEach((r, i) => {
    const a = r.metrics?.accuracy;
    if (typeof a === 'number' && (best === undefined || a > ((runs[best]?.metrics?.accuracy) ?? -1))) best = i;
  });
  return best;
}

/** Columns before the metrics: either the grid values of a sweep or each run's key settings. */
export interface LeadColumns {
  headers: string[];
  cells(run: RunData, i: number): string[];
}

export const SETTINGS_COLUMNS: LeadColumns = {
  headers: ['architecture', 'resize', 'size', 'batch'],
  cells: (run) => [run.config?.model.arch ?? '?', run.config?.data.resize ?? '?', String(run.config?.data.image_size ?? '?'), String(run.config?.train.batch_size ?? '?')],
};

/** The comparison table: one row per run, headline metrics with bootstrap 95% intervals. */
export function comparisonTable(runs: readonly RunData[], lead: LeadColumns = SETTINGS_COLUMNS, link = true): string {
  const best = bestRunIndex(runs);
  const metricKeys = ['accuracy', 'balanced_accuracy', 'f1_macro', 'f1_weighted', 'top3_accuracy', 'ece'];
  const head = ['run', ...lead.headers].map((h) => `<th>${escapeMarkup(h)}</th>`).join('') +
    `<th class="num">best epoch</th>` + metricKeys.map((k) => `<th class="num">${escapeMarkup(METRIC_LABELS[k] ?? k)}</th>`).join('') + `<th class="num">training time</th>`;
  const rows = runs.map((run, i) => {
    const epochs = run.summary?.best_epoch;
    const stopped = run.summary?.stopped_epoch;
    const name = link ? `<a href="#${runAnchor(i)}">${escapeMarkup(run.name)}</a>` : escapeMarkup(run.name);
    return `<tr${i === best && runs.length > 1 ? ' class="best"' : ''}><td>${name}</td>${lead.cells(run, i).map((c) => `<td>${escapeMarkup(c)}</td>`).join('')}` +
      `<td class="num">${epochs ?? '–'}${stopped !== undefined ? ` <span class="ci">of ${stopped}</span>` : ''}</td>` +
      metricKeys.map((k) => metricCell(run, k)).join('') + `<td class="num">${seconds(run.summary?.total_seconds)}</td></tr>`;
  });
  return `<div class="table-wrap"><table class="comparison"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** Points for the interval plots of the headline metrics. */
export function intervalPoints(runs: readonly RunData[]): Record<string, IntervalPoint[]> {
  const out: Record<string, IntervalPoint[]> = {};
  for (const key of HEADLINE_METRICS) {
    out[key] = runs.flatMap((run) => {
      const v = run.metrics?.[key];
      if (typeof v !== 'number') return [];
      const ci = intervalOf(run.metrics, key);
      return [{ name: run.name, value: v, lo: ci?.lo, hi: ci?.hi }];
    });
  }
  return out;
}

export function runChartData(run: RunData): RunChartData {
  return {
    name: run.name,
    history: run.history.map((h) => ({ epoch: h.epoch, train_loss: h.train_loss, val_loss: h.val_loss, train_acc: h.train_acc, val_acc: h.val_acc })),
    bestEpoch: run.summary?.best_epoch,
    confusion: run.confusion,
  };
}

function perClassTable(run: RunData): string {
  const rows = run.metrics?.per_class ?? [];
  if (rows.length === 0) return '<p class="note">No per-class metrics (the run has not been evaluated).</p>';
  const body = rows
    .map((r) => {
      const w = Number.isFinite(r.f1) ? Math.round(r.f1 * 100) : 0;
      return `<tr><td>${escapeMarkup(r.class.replace(/_/g, ' '))}</td><td class="num">${pct(r.precision)}</td><td class="num">${pct(r.recall)}</td>` +
        `<td class="num">${pct(r.f1)}<div class="bar"><span style="width:${w}%"></span></div></td><td class="num">${r.support}</td></tr>`;
    })
    .join('');
  return `<table class="per-class"><thead><tr><th>class</th><th class="num">precision</th><th class="num">recall</th><th class="num">F1</th><th class="num">support</th></tr></thead><tbody>${body}</tbody></table>`;
}

function confusionList(run: RunData): string {
  const pairs = (run.metrics?.confusions ?? []).slice(0, 8);
  if (pairs.length === 0) return '';
  const items = pairs
    .map((p) => `<tr><td>${escapeMarkup(p.true_label.replace(/_/g, ' '))}</td><td>${escapeMarkup(p.pred_label.replace(/_/g, ' '))}</td><td class="num">${p.count}</td><td>${p.examples.slice(0, 2).map((e) => `<code>${escapeMarkup(e)}</code>`).join(' ')}</td></tr>`)
    .join('');
  return `<h3>Most common confusions</h3><table><thead><tr><th>true artist</th><th>predicted as</th><th class="num">count</th><th>examples</th></tr></thead><tbody>${items}</tbody></table>`;
}

/** Everything about one run: facts, curves, confusion matrix, per-class metrics. */
export function runSection(run: RunData, i: number): string {
  const s = run.summary;
  const c = run.config;
  const facts = [
    c ? `<span><b>architecture</b> ${escapeMarkup(c.model.arch)}${c.model.freeze_backbone ? ' (frozen backbone)' : ''}</span>` : '',
    c ? `<span><b>input</b> ${c.data.image_size} px, ${escapeMarkup(c.data.resize)}</span>` : '',
    c ? `<span><b>batch</b> ${c.train.batch_size}</span>` : '',
    s ? `<span><b>best epoch</b> ${s.best_epoch}</span>` : '',
    s ? `<span><b>stopped</b> after epoch ${s.stopped_epoch}${s.stopped_early ? ' (early stopping)' : ''}</span>` : '',
    s ? `<span><b>backend</b> ${escapeMarkup(s.backend)}</span>` : '',
    `<span><b>time</b> ${seconds(s?.total_seconds)}</span>`,
  ].filter(Boolean);
  const warnings = [
    s?.interrupted ? 'training was interrupted (resume it with --resume)' : '',
    !run.summary ? 'training has not finished' : '',
    run.summary && !run.metrics ? 'not evaluated yet (npm run evaluate -- --run DIR)' : '',
    ...run.problems,
  ].filter(Boolean);
  const curves = run.history.length
    ? `<div class="grid2">${chart('loss', { run: i }, 'Loss per epoch')}${chart('acc', { run: i }, 'Accuracy per epoch')}</div>`
    : '<p class="note">No history.jsonl lines yet.</p>';
  const confusion = run.confusion
    ? chart('confusion', { run: i }, 'Confusion matrix (rows: true artist, columns: predicted; held-out split)')
    : '<p class="note">No confusion.csv.</p>';
  return `<section class="card run" id="${runAnchor(i)}"><h2>${escapeMarkup(run.name)}</h2><p class="note"><code>${escapeMarkup(run.dir)}</code></p>
<div class="facts">${facts.join('')}</div>${warnings.map((w) => `<p class="warn">${escapeMarkup(w)}</p>`).join('')}
<h3>Training and validation curves</h3>${curves}
<h3>Held-out results</h3><div class="grid2"><div>${confusion}</div><div>${perClassTable(run)}</div></div>${confusionList(run)}${reliabilityFigure(run)}</section>`;
}

/** Confidence against accuracy per bin, before and after temperature scaling; the SVG holds only numbers and fixed words. */
function reliabilityFigure(run: RunData): string {
  const svg = reliabilitySvgOf(run.metrics?.calibration);
  if (!svg) return '';
  return `<h3>Reliability diagram</h3><figure class="reliability">${svg}<figcaption>Bars: accuracy of the held-out images in each confidence bin; dots: their mean confidence; dashed: perfect calibration. "After" is cross-fitted.</figcaption></figure>`;
}

/** The data-set section for one overview. */
export function datasetSection(ov: DatasetOverview, index: number, usedBy: string[]): string {
  const n = ov.totals.train + ov.totals.val;
  const counts = ov.classes.map((c) => c.train + c.val);
  const facts = [
    `<span><b>${ov.classes.length}</b> classes</span>`,
    `<span><b>${n}</b> images (${ov.totals.train} train, ${ov.totals.val} held out, val fraction ${ov.valFraction}, seed ${ov.seed})</span>`,
    counts.length ? `<span><b>per class</b> ${Math.min(...counts)}–${Math.max(...counts)}</span>` : '',
    ov.medianSize ? `<span><b>median size</b> ${Math.round(ov.medianSize.width)}×${Math.round(ov.medianSize.height)} px</span>` : '',
  ].filter(Boolean);
  const formats = ov.formats.map((f) => `<tr><td>${escapeMarkup(f.format)}</td><td class="num">${f.count}</td><td class="num">${((100 * f.count) / Math.max(1, n)).toFixed(1)}%</td></tr>`).join('');
  const rootNote = ov.rootFound
    ? `Image sizes from ${ov.sampled === n ? 'every image' : `a sample of ${ov.sampled} images spread over all classes`}${ov.unreadable ? ` (${ov.unreadable} unreadable)` : ''}.`
    : `The image folder <code>${escapeMarkup(ov.root)}</code> is not here, so sizes and aspect ratios are not shown; counts come from split.json.`;
  const aspect = ov.aspectRatios.length ? chart('aspect', { dataset: index }, 'Aspect ratio (width / height); 1 is square') : '';
  return `<section class="card dataset" id="dataset-${index + 1}"><h2>Data set <code>${escapeMarkup(ov.root)}</code></h2>
<p class="note">Used by ${usedBy.map(escapeMarkup).join(', ')}. ${rootNote}</p><div class="facts">${facts.join('')}</div>
${chart('class-counts', { dataset: index }, 'Images per class (train + held out)')}
<div class="grid2"><div><h3>Formats</h3><table><thead><tr><th>format</th><th class="num">images</th><th class="num">share</th></tr></thead><tbody>${formats}</tbody></table></div><div>${aspect}</div></div></section>`;
}
