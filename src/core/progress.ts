import { isInteractive, log } from './log';
import { printableLines } from './printable';

/** `[#####...]`: the done fraction of a fixed-width bar. */
export function progressBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** One line on stderr redrawn in place, at most every `intervalMs` unless forced; silent when not live. */
export class LiveLine {
  private lastDraw = 0;
  constructor(
    readonly live = isInteractive(),
    private readonly intervalMs = 200,
  ) {}

  draw(text: string, force = false): void {
    if (!this.live) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    process.stderr.write(`\r\x1b[2K${printableLines(text)}`);
  }

  clear(): void {
    if (this.live) process.stderr.write('\r\x1b[2K');
  }
}

/**
 * A progress line on stderr: redrawn in place on a terminal, a line every 10% otherwise, so
 * logs stay short.
 */
export function progressLine(label: string, total: number): { tick: (done: number) => void; end: () => void } {
  const started = Date.now();
  const line = new LiveLine(isInteractive(), 100);
  let lastDecile = -1;
  const text = (done: number): string => {
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    return `${label} ${progressBar(total ? done / total : 1)} ${done}/${total} ${rate.toFixed(0)}/s`;
  };
  return {
    tick(done: number) {
      if (line.live) {
        line.draw(text(done), done >= total);
        return;
      }
      const decile = Math.floor((done / Math.max(1, total)) * 10);
      if (decile > lastDecile && decile > 0 && total >= 200) {
        lastDecile = decile;
        log.info(text(done));
      }
    },
    end() {
      if (line.live) {
        line.draw(text(total), true);
        process.stderr.write('\n');
      }
    },
  };
}
