import sharp from 'sharp';
import { oneLine, TimError } from '../core/errors';
import { colormap, type ColormapName } from './colormap';
import type { Explanation } from './explain-image';
import { bilinearResize, type Map2D } from './heatmap';
import { displayName, percent } from '../inference/topk';
import { escapeMarkup } from '../core/markup';

export interface OverlayOptions {
  colormap?: ColormapName;
  /** Longest side of each of the two panels in pixels (default 384). */
  panelSize?: number;
}

/** An 8-bit RGB picture, row-major HWC. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

const FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";
const MARGIN = 20;
const GAP = 20;
const HEADER = 68;
const CAPTION = 30;
const BAR = 40;
const MIN_WIDTH = 700;

/** The original picture, upright, scaled so its longer side is `panel` pixels. */
async function loadPanel(file: string, panel: number): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(file, { failOn: 'truncated', pages: 1, autoOrient: true })
      .resize(panel, panel, { fit: 'inside', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw new TimError(`${file}: cannot read image (${oneLine(e)})`);
  }
}

/**
 * The heat map blended over the picture. Opacity grows with the value, so weakly weighted
 * regions stay readable underneath while the strongest ones take the colour map's bright end.
 */
export function blendHeatmap(image: RgbImage, heat: Map2D, cmap: ColormapName = 'viridis'): RgbImage {
  const h = heat.width === image.width && heat.height === image.height ? heat : bilinearResize(heat, image.width, image.height);
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < image.width * image.height; i++) {
    const v = h.values[i] ?? 0;
    const [r, g, b] = colormap(v, cmap);
    const alpha = 0.3 + 0.5 * v;
    out[i * 3] = Math.round((image.data[i * 3] ?? 0) * (1 - alpha) + r * alpha);
    out[i * 3 + 1] = Math.round((image.data[i * 3 + 1] ?? 0) * (1 - alpha) + g * alpha);
    out[i * 3 + 2] = Math.round((image.data[i * 3 + 2] ?? 0) * (1 - alpha) + b * alpha);
  }
  return { data: out, width: image.width, height: image.height };
}

function gradientStops(cmap: ColormapName): string {
  const n = 16;
  return Array.from({ length: n + 1 }, (_, i) => {
    const [r, g, b] = colormap(i / n, cmap);
    return `<stop offset="${((100 * i) / n).toFixed(2)}%" stop-color="rgb(${r},${g},${b})"/>`;
  }).join('');
}

/**
 * A labelled PNG: the original picture (letterbox padding removed) and the same picture with
 * the heat map overlaid, side by side, with the prediction, its confidence and the method.
 */
export async function renderOverlayPng(file: string, e: Explanation, opts: OverlayOptions = {}): Promise<Buffer> {
  const cmap = opts.colormap ?? 'viridis';
  const panel = Math.max(64, Math.round(opts.panelSize ?? 384));
  const original = await loadPanel(file, panel);
  const overlay = blendHeatmap(original, e.contentMap, cmap);
  const { width: pw, height: ph } = original;
  const width = Math.max(MIN_WIDTH, 2 * pw + GAP + 2 * MARGIN);
  const height = MARGIN + HEADER + ph + CAPTION + BAR + MARGIN;
  const left = Math.round((width - (2 * pw + GAP)) / 2);
  const right = left + pw + GAP;
  const top = MARGIN + HEADER;

  const predicted =
    e.unknown.decision === 'not_confident'
      ? `Not confidently one of the ${e.artists} artists (closest: ${displayName(e.label)}, ${percent(e.confidence)})`
      : `Predicted: ${displayName(e.label)} (${percent(e.confidence)})`;
  const ranking = `Top 3: ${e.top.map((t) => `${displayName(t.label)} ${percent(t.confidence)}`).join('  ·  ')}`;
  const explainsOther = e.explained.label !== e.label;
  const camCaption = `${e.methodTitle} for ${displayName(e.explained.label)}${explainsOther ? ` (${percent(e.explained.confidence)})` : ''}`;
  const barY = top + ph + CAPTION + 4;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs><linearGradient id="cmap" x1="0" x2="1" y1="0" y2="0">${gradientStops(cmap)}</linearGradient></defs>
  <g font-family="${FONT}" fill="#1a1a1a">
    <text x="${MARGIN}" y="${MARGIN + 24}" font-size="22" font-weight="bold">${escapeMarkup(predicted)}</text>
    <text x="${MARGIN}" y="${MARGIN + 50}" font-size="14" fill="#444">${escapeMarkup(ranking)}</text>
    <text x="${left + pw / 2}" y="${top + ph + 21}" font-size="15" text-anchor="middle">Original</text>
    <text x="${right + pw / 2}" y="${top + ph + 21}" font-size="15" text-anchor="middle">${escapeMarkup(camCaption)}</text>
    <rect x="${right}" y="${barY}" width="${pw}" height="10" fill="url(#cmap)" stroke="#888" stroke-width="0.5"/>
    <text x="${right}" y="${barY + 26}" font-size="12" fill="#555">low</text>
    <text x="${right + pw / 2}" y="${barY + 26}" font-size="12" fill="#555" text-anchor="middle">layer ${escapeMarkup(e.targetLayer)}</text>
    <text x="${right + pw}" y="${barY + 26}" font-size="12" fill="#555" text-anchor="end">high</text>
  </g>
</svg>`;
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite([
      { input: Buffer.from(overlay.data), raw: { width: pw, height: ph, channels: 3 }, left: right, top },
      { input: Buffer.from(original.data), raw: { width: pw, height: ph, channels: 3 }, left, top },
      { input: Buffer.from(svg), left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}
