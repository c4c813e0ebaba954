import * as os from 'os';
import { isInteractive, log } from '../core/log';

/**
 * How many images to decode at once. sharp decodes on libuv's thread pool, so a few more
 * tasks than cores keeps every core busy while JavaScript copies results.
 */
export function decodeConcurrency(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(2, Math.min(16, cores * 2));
}

/** Maps `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  onDone?: (done: number) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i] as T, i);
      done++;
      onDone?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return results;
}

/**
 * A progress line on stderr: redrawn in place on a terminal, a line every 10% otherwise, so
 * logs stay short.
 */
export function progressLine(label: string, total: number): { tick: (done: number) => void; end: () => void } {
  const started = Date.now();
  const live = isInteractive();
  let lastDecile = -1;
  let lastDraw = 0;
  const text = (done: number): string => {
    const frac = total ? done / total : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(0)}/s`;
  };
  return {
    tick(done: number) {
      if (live) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        process.stderr.write(`\r${text(done)}`);
      } else {
        const decile = Math.floor((done / Math.max(1, total)) * 10);
        if (decile > lastDecile && decile > 0 && total >= 200) {
          lastDecile = decile;
          log.info(text(done));
        }
      }
    },
    end() {
      if (live) process.stderr.write(`\r${text(total)}\n`);
    },
  };
}
