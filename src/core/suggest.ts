/** Levenshtein distance, for "did you mean" suggestions on unknown names. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate, if it is close enough to be a plausible typo. */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** "unknown X 'foo'; did you mean 'bar'?" or the list of valid ones. */
export function unknownNameMessage(kind: string, name: string, valid: readonly string[]): string {
  const near = nearest(name, valid);
  return near !== undefined
    ? `unknown ${kind} '${name}'; did you mean '${near}'?`
    : `unknown ${kind} '${name}'; expected one of: ${valid.join(', ')}`;
}
