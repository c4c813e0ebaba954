import sharp from 'sharp';
import { escapeMarkup } from '../core/markup';

/**
 * The confusion matrix as a heat map: rows are true classes, columns predicted classes, each
 * cell coloured by the share of its row (so small classes are as visible as large ones) and
 * labelled with its count. Drawn as SVG and rasterised with sharp.
 */

/** White → deep blue, by the row share `t` in [0, 1]. */
function cellColour(t: number): string {
  const lerp = (a: number, b: number): number => Math.round(a + (b - a) * Math.sqrt(t));
  return `rgb(${lerp(247, 8)},${lerp(251, 48)},${lerp(255, 107)})`;
}

/** Approximate width of text in DejaVu Sans at `size` px (about 0.6 em per character). */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.6;
}

export function confusionSvg(confusion: number[][], classes: readonly string[], title = 'Confusion matrix'): string {
  const k = classes.length;
  const maxCount = Math.max(1, ...confusion.flat());
  const digits = String(maxCount).length;
  const cell = Math.max(26, 9 * digits + 10);
  const font = 12;
  const countFont = digits >= 4 ? 10 : 11;
  const labelSpace = Math.ceil(Math.max(60, ...classes.map((c) => textWidth(c, font)))) + 14;
  const left = labelSpace + 24;
  const top = labelSpace + 78;
  const grid = cell * k;
  const width = Math.max(left + grid + 40, left + 640);
  const height = top + grid + 30;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="bold">${escapeMarkup(title)}</text>`,
    `<text x="${left}" y="44" font-size="12" fill="#555">rows: true class · columns: predicted class · cell colour: share of the row · numbers: image counts</text>`,
    `<text x="${left + grid / 2}" y="68" font-size="13" text-anchor="middle">predicted</text>`,
    `<text transform="translate(16 ${top + grid / 2}) rotate(-90)" font-size="13" text-anchor="middle">true</text>`,
  );
  confusion.forEach((row, i) => {
    const support = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = support ? count / support : 0;
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${cellColour(share)}" stroke="${i === j ? '#555' : '#ddd'}" stroke-width="${i === j ? 1.2 : 0.5}"/>`);
      if (count > 0) {
        const colour = share > 0.45 ? 'white' : '#111';
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + countFont * 0.36}" font-size="${countFont}" text-anchor="middle" fill="${colour}">${count}</text>`);
      }
    });
  });
  classes.forEach((name, i) => {
    const label = escapeMarkup(name);
    parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + font * 0.36}" font-size="${font}" text-anchor="end">${label}</text>`);
    const cx = left + i * cell + cell / 2 + font * 0.36;
    parts.push(`<text transform="translate(${cx} ${top - 6}) rotate(-90)" font-size="${font}" text-anchor="start">${label}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The heat map as PNG bytes. */
export async function confusionPng(confusion: number[][], classes: readonly string[], title?: string): Promise<Buffer> {
  return sharp(Buffer.from(confusionSvg(confusion, classes, title))).png().toBuffer();
}
