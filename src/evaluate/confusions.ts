/** One off-diagonal cell of the confusion matrix: true class mistaken for another. */
export interface Confusion {
  true_label: string;
  pred_label: string;
  count: number;
  /** Share of the true class's samples that went to this wrong class. */
  rate: number;
  /** A few of the misclassified files (paths as in the split), in evaluation order. */
  examples: string[];
}

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
