/**
 * The report page's script (runs in the browser, bundled into the HTML). It fills every
 * `[data-chart]` placeholder from the page's JSON data with tfjs-vis, and draws the interval
 * plots as plain SVG. When done it sets `data-charts="ready"` on <body>, with the count of
 * charts drawn and failed, so tests and people can tell a finished page from a broken one.
 */
import type * as tfvisModule from '@tensorflow/tfjs-vis';
import { REPORT_DATA_ID, type IntervalPoint, type ReportChartData, type RunChartData } from '../lib/report-model';

declare global {
  interface Window {
    tfvis: typeof tfvisModule;
  }
}

const TRAIN_COLOR = '#4e79a7';
const VAL_COLOR = '#e15759';
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function pretty(label: string): string {
  return label.replace(/_/g, ' ');
}

function widthOf(el: HTMLElement, max: number): number {
  return Math.max(260, Math.min(max, el.clientWidth - 24));
}

function runOf(data: ReportChartData, el: HTMLElement): RunChartData {
  const run = data.runs[Number(el.dataset.run)];
  if (!run) throw new Error(`no run ${el.dataset.run ?? '?'}`);
  return run;
}

/**
 * tfjs-vis 1.5 draws a line chart's points at their index, not their x, and needs series of
 * equal length. So every series is laid out by epoch from 0 (index = epoch), with null where
 * a run has no value; the line chart leaves nulls out.
 */
function byEpoch(histories: RunChartData['history'][], key: 'train_loss' | 'val_loss' | 'train_acc' | 'val_acc'): { x: number; y: number }[][] {
  const last = Math.max(1, ...histories.flatMap((h) => h.map((p) => p.epoch)));
  return histories.map((h) => {
    const at = new Map(h.map((p) => [p.epoch, p[key]]));
    return Array.from({ length: last + 1 }, (_, epoch) => ({ x: epoch, y: (at.get(epoch) ?? null) as number }));
  });
}

/** Epochs are whole numbers: a short run on a quantitative axis would tick at 0.2, 0.4, ... */
function epochAxis(series: { x: number }[][]): 'ordinal' | 'quantitative' {
  return Math.max(0, ...series.map((s) => s.length)) <= 8 ? 'ordinal' : 'quantitative';
}

async function curves(el: HTMLElement, run: RunChartData, kind: 'loss' | 'acc'): Promise<void> {
  const values = kind === 'loss' ? [...byEpoch([run.history], 'train_loss'), ...byEpoch([run.history], 'val_loss')] : [...byEpoch([run.history], 'train_acc'), ...byEpoch([run.history], 'val_acc')];
  await window.tfvis.render.linechart(
    el,
    { values, series: ['train', 'validation'] },
    {
      xLabel: 'epoch',
      xType: epochAxis(values),
      yLabel: kind === 'loss' ? 'loss' : 'accuracy',
      width: widthOf(el, 560),
      height: 260,
      ...(kind === 'acc' ? { yAxisDomain: [0, 1] as [number, number] } : { zoomToFit: true }),
      seriesColors: [TRAIN_COLOR, VAL_COLOR],
    },
  );
}

async function overlay(el: HTMLElement, data: ReportChartData, key: 'val_acc' | 'val_loss'): Promise<void> {
  const runs = data.runs.filter((r) => r.history.length > 0);
  if (runs.length === 0) throw new Error('no run has a history yet');
  const values = byEpoch(runs.map((r) => r.history), key);
  await window.tfvis.render.linechart(
    el,
    { values, series: runs.map((r) => r.name) },
    {
      xLabel: 'epoch',
      xType: epochAxis(values),
      yLabel: key === 'val_acc' ? 'validation accuracy' : 'validation loss',
      width: widthOf(el, 560),
      height: 280,
      ...(key === 'val_acc' ? { yAxisDomain: [0, 1] as [number, number] } : { zoomToFit: true }),
      seriesColors: runs.map((_, i) => PALETTE[i % PALETTE.length] as string),
    },
  );
}

async function confusion(el: HTMLElement, run: RunChartData): Promise<void> {
  if (!run.confusion) throw new Error('no confusion matrix');
  const n = run.confusion.labels.length;
  const side = Math.min(widthOf(el, 600), 260 + n * 30);
  await window.tfvis.render.confusionMatrix(
    el,
    { values: run.confusion.matrix, tickLabels: run.confusion.labels.map(pretty) },
    { shadeDiagonal: true, showTextOverlay: n <= 12, width: side, height: side, xLabel: 'predicted', yLabel: 'true' },
  );
}

async function classCounts(el: HTMLElement, data: ReportChartData): Promise<void> {
  const ds = data.datasets[Number(el.dataset.dataset)];
  if (!ds) throw new Error('no data set');
  await window.tfvis.render.barchart(
    el,
    // tfjs-vis types the index as a number, but draws any label on a nominal axis.
    ds.classes.map((c) => ({ index: pretty(c.name) as unknown as number, value: c.train + c.val })),
    { width: widthOf(el, 1100), height: 300, xLabel: '', yLabel: 'images', color: TRAIN_COLOR },
  );
}

async function aspect(el: HTMLElement, data: ReportChartData): Promise<void> {
  const ds = data.datasets[Number(el.dataset.dataset)];
  if (!ds || ds.aspectRatios.length === 0) throw new Error('no aspect ratios');
  await window.tfvis.render.histogram(el, ds.aspectRatios, { maxBins: 30, width: widthOf(el, 520), height: 240, xLabel: 'width / height', yLabel: 'images', color: TRAIN_COLOR, stats: false });
}

const SVG = 'http://www.w3.org/2000/svg';

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A forest plot: each run's value as a dot on its 95% interval, on a shared axis. */
function intervals(el: HTMLElement, points: IntervalPoint[]): void {
  if (points.length === 0) throw new Error('no evaluated runs');
  const width = widthOf(el, 560);
  const labelW = Math.min(220, 20 + 7 * Math.max(...points.map((p) => p.name.length)));
  const rowH = 26;
  const top = 10;
  const height = top + rowH * points.length + 34;
  const lows = points.map((p) => p.lo ?? p.value);
  const highs = points.map((p) => p.hi ?? p.value);
  const pad = 0.02;
  const x0 = Math.max(0, Math.floor((Math.min(...lows) - pad) * 20) / 20);
  const x1 = Math.min(1, Math.ceil((Math.max(...highs) + pad) * 20) / 20);
  const plotL = labelW;
  const plotR = width - 16;
  const sx = (v: number) => plotL + ((v - x0) / Math.max(1e-9, x1 - x0)) * (plotR - plotL);
  const svg = svgEl('svg', { width, height, class: 'forest', role: 'img' });
  const axisY = top + rowH * points.length + 4;
  const step = x1 - x0 > 0.5 ? 0.1 : 0.05;
  for (let t = Math.ceil(x0 / step) * step; t <= x1 + 1e-9; t += step) {
    svg.append(svgEl('line', { x1: sx(t), x2: sx(t), y1: top - 4, y2: axisY, stroke: '#e3e7ee' }));
    svg.append(svgEl('text', { x: sx(t), y: axisY + 16, 'text-anchor': 'middle' }, t.toFixed(2)));
  }
  const best = Math.max(...points.map((p) => p.value));
  points.forEach((p, i) => {
    const y = top + rowH * i + rowH / 2;
    const color = p.value === best ? '#1b8a5a' : '#2d5bd7';
    svg.append(svgEl('text', { x: labelW - 10, y: y + 4, 'text-anchor': 'end' }, p.name));
    if (p.lo !== undefined && p.hi !== undefined) {
      svg.append(svgEl('line', { x1: sx(p.lo), x2: sx(p.hi), y1: y, y2: y, stroke: color, 'stroke-width': 2.5, 'stroke-linecap': 'round' }));
    }
    const dot = svgEl('circle', { cx: sx(p.value), cy: y, r: 5, fill: color });
    dot.append(svgEl('title', {}, `${p.name}: ${p.value.toFixed(3)}${p.lo !== undefined && p.hi !== undefined ? ` [${p.lo.toFixed(3)}, ${p.hi.toFixed(3)}]` : ''}`));
    svg.append(dot);
  });
  el.append(svg);
}

async function draw(el: HTMLElement, data: ReportChartData): Promise<void> {
  switch (el.dataset.chart) {
    case 'loss':
    case 'acc':
      return curves(el, runOf(data, el), el.dataset.chart);
    case 'overlay-val_acc':
      return overlay(el, data, 'val_acc');
    case 'overlay-val_loss':
      return overlay(el, data, 'val_loss');
    case 'confusion':
      return confusion(el, runOf(data, el));
    case 'class-counts':
      return classCounts(el, data);
    case 'aspect':
      return aspect(el, data);
    case 'intervals':
      return intervals(el, data.intervals[el.dataset.metric ?? 'accuracy'] ?? []);
    default:
      throw new Error(`unknown chart '${el.dataset.chart ?? ''}'`);
  }
}

async function main(): Promise<void> {
  const holder = document.getElementById(REPORT_DATA_ID);
  const data = JSON.parse(holder?.textContent ?? '{}') as ReportChartData;
  let drawn = 0;
  let failed = 0;
  for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-chart]'))) {
    try {
      await draw(el, data);
      drawn++;
    } catch (e) {
      failed++;
      const note = document.createElement('div');
      note.className = 'chart-error';
      note.textContent = `chart not drawn: ${e instanceof Error ? e.message : String(e)}`;
      el.append(note);
    }
  }
  document.body.dataset.chartsDrawn = String(drawn);
  document.body.dataset.chartsFailed = String(failed);
  document.body.dataset.charts = 'ready';
}

void main();
