import { getArchSpec } from './registry';
import { countParameters, layerParameterCount } from './groups';
import * as tf from '@tensorflow/tfjs';
import { escapeMarkup } from '../core/markup';

/** One row of a depth-1 structure summary: a torchvision top-level module (features.N counted apart). */
export interface SummaryRow {
  block: string;
  /** Output shape in PyTorch's NCHW order for a batch of one (NC for pooled outputs). */
  outputShape: number[];
  params: number;
}

export interface ModelSummary {
  arch: string;
  inputShape: number[];
  rows: SummaryRow[];
  totalParams: number;
}

/** The block a layer belongs to: `layer3`, `fc`, or `features.4` for Sequential feature stacks. */
export function blockOf(layerName: string): string {
  const parts = layerName.split('.');
  if (parts[0] === 'features' && parts[1] !== undefined) return `features.${parts[1]}`;
  return parts[0] ?? layerName;
}

function torchOrder(shape: tf.Shape): number[] {
  const s = shape.map((d) => d ?? 1);
  return s.length === 4 ? [s[0]!, s[3]!, s[1]!, s[2]!] : s;
}

/** Depth-1 structure (block, output shape, parameters) of an architecture for a 1×3×S×S input. */
export function summarizeArch(arch: string, inputSize = 224, numClasses?: number): ModelSummary {
  const spec = getArchSpec(arch);
  const model = spec.build({ numClasses: numClasses ?? spec.pretrained.numClasses, inputSize, initialize: false });
  try {
    const rows: SummaryRow[] = [];
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const block = blockOf(layer.name);
      let row = rows[rows.length - 1];
      if (!row || row.block !== block) {
        row = { block, outputShape: [], params: 0 };
        rows.push(row);
      }
      row.outputShape = [1, ...torchOrder(layer.outputShape as tf.Shape).slice(1)];
      row.params += layerParameterCount(layer);
    }
    return { arch, inputShape: [1, 3, inputSize, inputSize], rows, totalParams: countParameters(model) };
  } finally {
    model.dispose();
  }
}

const fmtShape = (s: number[]): string => `[${s.join(', ')}]`;
const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** A plain-text table, like the reference's structure figures. */
export function formatModelSummary(s: ModelSummary): string {
  const header = ['block', 'output shape', 'parameters'];
  const body = s.rows.map((r) => [r.block, fmtShape(r.outputShape), fmtInt(r.params)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [
    `${s.arch}: input ${fmtShape(s.inputShape)}`,
    line(header),
    rule,
    ...body.map(line),
    rule,
    `total parameters: ${fmtInt(s.totalParams)}`,
  ].join('\n');
}

/** A simple vertical block diagram: one box per block with its output shape and parameters. */
export function summarySvg(s: ModelSummary): string {
  const boxW = 360;
  const boxH = 40;
  const gap = 18;
  const margin = 20;
  const titleH = 30;
  const rows = [{ block: 'input', outputShape: s.inputShape, params: 0 }, ...s.rows];
  const height = margin * 2 + titleH + rows.length * boxH + (rows.length - 1) * gap + 24;
  const width = boxW + margin * 2;
  const maxParams = Math.max(1, ...s.rows.map((r) => r.params));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="${margin + 16}" text-anchor="middle" font-size="16" font-weight="bold">${escapeMarkup(s.arch)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = margin + titleH + i * (boxH + gap);
    // Shade by share of parameters, so the heavy blocks stand out.
    const shade = Math.round(245 - 120 * Math.sqrt(r.params / maxParams));
    parts.push(
      `<rect x="${margin}" y="${y}" width="${boxW}" height="${boxH}" rx="6" fill="rgb(${shade},${shade + 5 > 255 ? 255 : shade + 5},255)" stroke="#335"/>`,
      `<text x="${margin + 10}" y="${y + 25}" font-size="13" font-weight="bold">${escapeMarkup(r.block)}</text>`,
      `<text x="${margin + boxW - 10}" y="${y + 17}" font-size="11" text-anchor="end">${escapeMarkup(fmtShape(r.outputShape))}</text>`,
      `<text x="${margin + boxW - 10}" y="${y + 32}" font-size="11" text-anchor="end" fill="#444">${r.params > 0 ? `${fmtInt(r.params)} params` : ''}</text>`,
    );
    if (i > 0) {
      const x = margin + boxW / 2;
      parts.push(`<line x1="${x}" y1="${y - gap}" x2="${x}" y2="${y - 4}" stroke="#335" stroke-width="1.5"/>`, `<polygon points="${x - 4},${y - 8} ${x + 4},${y - 8} ${x},${y - 2}" fill="#335"/>`);
    }
  });
  parts.push(`<text x="${width / 2}" y="${height - margin / 2}" text-anchor="middle" font-size="12">total parameters: ${fmtInt(s.totalParams)}</text>`, '</svg>');
  return `${parts.join('\n')}\n`;
}
