import sharp from 'sharp';
import { escapeMarkup } from '../core/markup';
import type { Suggestions } from './curve';
import type { SweepPoint } from './sweep';

/**
 * The sweep as a line chart: the smoothed loss against the head's learning rate on a log
 * axis, the raw step losses faint behind it, and the two suggestions marked. Drawn as SVG and
 * rasterised with sharp, as the confusion matrix is.
 */

const WIDTH = 760;
const HEIGHT = 460;
const PLOT = { left: 70, right: 30, top: 56, bottom: 56 };

const formatLr = (lr: number): string => lr.toExponential(1);

export function lrFindSvg(points: readonly SweepPoint[], suggestions: Suggestions | null, title: string): string {
  const w = WIDTH - PLOT.left - PLOT.right;
  const h = HEIGHT - PLOT.top - PLOT.bottom;
  const finite = points.filter((p) => Number.isFinite(p.smoothed));
  const logLrs = points.map((p) => Math.log10(p.lr));
  const xMin = Math.floor(Math.min(...logLrs));
  const xMax = Math.ceil(Math.max(...logLrs, xMin + 1));
  // A sweep whose every loss was NaN still draws, empty.
  const best = finite.length ? Math.min(...finite.map((p) => p.smoothed)) : 0;
  const first = finite[0]?.smoothed ?? best + 1;
  // Up to the divergence cut-off: what lies above it says nothing more.
  const yMax = Math.max(first, ...finite.map((p) => p.smoothed).filter((v) => v <= 4 * best));
  const yMin = Math.max(0, best - 0.1 * (yMax - best));
  const span = Math.max(yMax - yMin, 1e-9);
  const x = (lr: number): number => PLOT.left + ((Math.log10(lr) - xMin) / (xMax - xMin)) * w;
  const y = (v: number): number => PLOT.top + h - ((Math.min(Math.max(v, yMin), yMax) - yMin) / span) * h;
  const path = (values: readonly { lr: number; v: number }[]): string =>
    values.filter((p) => Number.isFinite(p.v)).map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.lr).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${PLOT.left}" y="24" font-size="16" font-weight="bold">${escapeMarkup(title)}</text>`,
    `<text x="${PLOT.left}" y="42" font-size="12" fill="#555">smoothed loss (β 0.98, debiased); faint: each step's loss</text>`,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (let d = xMin; d <= xMax; d++) {
    const px = PLOT.left + ((d - xMin) / (xMax - xMin)) * w;
    parts.push(`<line x1="${px}" y1="${PLOT.top}" x2="${px}" y2="${PLOT.top + h}" stroke="#eee"/>`, `<text x="${px}" y="${PLOT.top + h + 18}" font-size="11" text-anchor="middle">1e${d}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = yMin + (span * i) / 4;
    parts.push(`<text x="${PLOT.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  parts.push(
    `<text x="${PLOT.left + w / 2}" y="${HEIGHT - 14}" font-size="13" text-anchor="middle">learning rate of the head (other groups at the config's ratios)</text>`,
    `<text transform="translate(18 ${PLOT.top + h / 2}) rotate(-90)" font-size="13" text-anchor="middle">loss</text>`,
    `<path d="${path(points.map((p) => ({ lr: p.lr, v: p.loss })))}" fill="none" stroke="#c6d4e6" stroke-width="1"/>`,
    `<path d="${path(points.map((p) => ({ lr: p.lr, v: p.smoothed })))}" fill="none" stroke="#1f4e8c" stroke-width="2"/>`,
  );
  const marks: [keyof Suggestions, string][] = [['steepest', '#c0392b'], ['valley', '#1e8449']];
  marks.forEach(([name, colour], i) => {
    const s = suggestions?.[name];
    if (!s) return;
    parts.push(
      `<circle cx="${x(s.lr).toFixed(1)}" cy="${y(s.loss).toFixed(1)}" r="5" fill="${colour}"/>`,
      `<text x="${PLOT.left + w - 8}" y="${PLOT.top + 18 + 16 * i}" font-size="12" text-anchor="end" fill="${colour}">${name}: ${formatLr(s.lr)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The chart as PNG bytes. */
export async function lrFindPng(points: readonly SweepPoint[], suggestions: Suggestions | null, title: string): Promise<Buffer> {
  return sharp(Buffer.from(lrFindSvg(points, suggestions, title))).png().toBuffer();
}
