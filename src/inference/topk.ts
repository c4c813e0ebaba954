/** One ranked class with its softmax probability. */
export interface RankedClass {
  label: string;
  confidence: number;
}

/** The `k` most probable classes of one probability row, most probable first. */
export function topK(probs: ArrayLike<number>, labels: readonly string[], k: number): RankedClass[] {
  const order = Array.from({ length: probs.length }, (_, i) => i);
  order.sort((a, b) => (probs[b] ?? 0) - (probs[a] ?? 0) || a - b);
  return order.slice(0, Math.min(k, order.length)).map((i) => ({ label: labels[i] ?? String(i), confidence: probs[i] ?? 0 }));
}

/** "Claude_Monet" -> "Claude Monet": class folder names as people write them. */
export function displayName(label: string): string {
  return label.replace(/_/g, ' ');
}

/** A probability as a percentage with one decimal; tiny non-zero ones read "<0.1%", not "0.0%". */
export function percent(p: number): string {
  if (p > 0 && p < 0.0005) return '<0.1%';
  return `${(100 * p).toFixed(1)}%`;
}
