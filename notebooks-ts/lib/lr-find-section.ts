import type { LrFindFolder, LrFindResult } from '../../src/lr-find/result-file';
import { escapeMarkup } from './html';

/**
 * An lr-find folder as a report section: the chart `tim lr-find` drew (embedded as PNG bytes,
 * so nothing from the folder becomes markup), the two suggestions and every group's rate.
 */

/** An anchor id for an lr-find section. */
export function lrFindAnchor(i: number): string {
  return `lr-find-${i + 1}`;
}

/** A learning rate as the terminal prints it. */
export function formatRate(lr: number): string {
  return lr.toExponential(2);
}

function stoppedText(r: LrFindResult): string {
  const how = r.stopped === 'diverged' ? `stopped once the smoothed loss passed ${r.divergence_factor}× its best` : 'ran every step without diverging';
  return `${r.steps_run} of ${r.steps_planned} steps, the head's rate rising from ${formatRate(r.start_lr)} towards ${formatRate(r.end_lr)}; ${how}. Loss smoothed with β ${r.beta} (debiased).`;
}

function ratesTable(r: LrFindResult): string {
  const row = (label: string, g: LrFindResult['lr_groups'], loss?: number): string =>
    `<tr><td>${escapeMarkup(label)}</td>${(['early', 'middle', 'head'] as const).map((k) => `<td class="num">${formatRate(g[k])}</td>`).join('')}<td class="num">${loss === undefined ? '–' : loss.toFixed(3)}</td></tr>`;
  const rows = [row('config (the ratios the sweep keeps)', r.lr_groups)];
  if (r.suggestions) rows.push(row('steepest', r.suggestions.steepest.lr_groups, r.suggestions.steepest.loss), row('valley', r.suggestions.valley.lr_groups, r.suggestions.valley.loss));
  return `<table class="lr-find"><thead><tr><th>rates</th><th class="num">early</th><th class="num">middle</th><th class="num">head</th><th class="num">smoothed loss</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function setFlags(g: LrFindResult['lr_groups']): string {
  return (['early', 'middle', 'head'] as const).map((k) => `--set train.lr_groups.${k}=${formatRate(g[k])}`).join(' ');
}

export function lrFindSection(f: LrFindFolder, i: number): string {
  const r = f.result;
  const alt = `Smoothed loss against the head's learning rate for ${r.config}, with the steepest and valley suggestions`;
  const suggestions = r.suggestions
    ? `<p class="note">To train at the valley's rates: <code>${escapeMarkup(setFlags(r.suggestions.valley.lr_groups))}</code></p>`
    : '<p class="warn">Too few steps before the divergence for a suggestion; run it again with a lower --start-lr or --end-lr, or more --steps.</p>';
  return `<section class="card lr-find" id="${lrFindAnchor(i)}"><h2>LR finder: ${escapeMarkup(r.config)} (${escapeMarkup(r.arch)})</h2><p class="note"><code>${escapeMarkup(f.dir)}</code></p>
<p class="note">${escapeMarkup(stoppedText(r))} The suggestions are the head's rate; the other groups keep the config's ratios to it.</p>
<div class="grid2"><figure class="lr-find"><img src="data:image/png;base64,${f.png.toString('base64')}" alt="${escapeMarkup(alt)}"></figure><div>${ratesTable(r)}${suggestions}</div></div></section>`;
}
