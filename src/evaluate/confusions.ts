import type { Confusion } from '../io/run-folder';

/** One off-diagonal cell of the confusion matrix, as metrics.json records it. */
export type { Confusion } from '../io/run-folder';

/**
 * The most common confusions, largest count first (ties: by true then predicted class index),
 * each with up to `examples` example files.
 */
export function topConfusions(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  paths: readonly string[],
  classes: readonly string[],
  opts: { top?: number; examples?: number } = {},
): Confusion[] {
  const top = opts.top ?? 10;
  const maxExamples = opts.examples ?? 3;
  const cells = new Map<number, { t: number; p: number; count: number; examples: string[] }>();
  const support = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] as number;
    const p = yPred[i] as number;
    support[t]! += 1;
    if (t === p) continue;
    const key = t * classes.length + p;
    let cell = cells.get(key);
    if (!cell) {
      cell = { t, p, count: 0, examples: [] };
      cells.set(key, cell);
    }
    cell.count++;
    if (cell.examples.length < maxExamples) cell.examples.push(paths[i] ?? `#${i}`);
  }
  return [...cells.values()]
    .sort((a, b) => b.count - a.count || a.t - b.t || a.p - b.p)
    .slice(0, top)
    .map((c) => ({
      true_label: classes[c.t] ?? String(c.t),
      pred_label: classes[c.p] ?? String(c.p),
      count: c.count,
      rate: c.count / (support[c.t] || 1),
      examples: c.examples,
    }));
}
