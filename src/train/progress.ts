import { isInteractive, log } from '../core/log';
import { LiveLine, progressBar } from '../core/progress';
import type { HistoryRecord } from './types';

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export interface ProgressLine {
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  images: number;
  seconds: number;
  loss: number;
  acc: number;
}

/** Renders the live line of an epoch in progress. */
export function formatProgress(p: ProgressLine): string {
  const rate = p.seconds > 0 ? p.images / p.seconds : 0;
  const eta = p.done > 0 ? (p.seconds / p.done) * (p.total - p.done) : NaN;
  return `epoch ${p.epoch}/${p.epochs} ${progressBar(p.total > 0 ? p.done / p.total : 0)} ${p.done}/${p.total} ${rate.toFixed(1)} img/s ETA ${fmtDuration(eta)} loss ${p.loss.toFixed(4)} acc ${p.acc.toFixed(3)}`;
}

export function formatEpoch(r: HistoryRecord, epochs: number, note: string): string {
  return (
    `epoch ${r.epoch}/${epochs} train_loss ${r.train_loss.toFixed(4)} train_acc ${r.train_acc.toFixed(3)} ` +
    `val_loss ${r.val_loss.toFixed(4)} val_acc ${r.val_acc.toFixed(3)} ${r.images_per_sec.toFixed(1)} img/s ${fmtDuration(r.seconds)}` +
    (note ? ` ${note}` : '')
  );
}

/**
 * One line per epoch. On a terminal (and not in CI) the line is redrawn as the epoch runs;
 * otherwise only the finished epoch is printed, so logs stay readable.
 */
export class Progress {
  private readonly line: LiveLine;
  constructor(live = isInteractive()) {
    this.line = new LiveLine(live);
  }

  update(p: ProgressLine): void {
    if (this.line.live) this.line.draw(formatProgress(p), p.done >= p.total);
  }

  /** Replaces the live line with the epoch's summary. */
  epoch(r: HistoryRecord, epochs: number, note: string): void {
    this.line.clear();
    log.info(formatEpoch(r, epochs, note));
  }

  clear(): void {
    this.line.clear();
  }
}
