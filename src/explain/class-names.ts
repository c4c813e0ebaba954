import { TimError } from '../core/errors';
import { editDistance } from '../core/suggest';

/** Case, spaces, underscores and hyphens do not distinguish artists ("claude monet" = "Claude_Monet"). */
function canonical(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, ' ').trim();
}

/** Up to `n` class names close to `name`: those containing it first, then by edit distance. */
export function closeNames(name: string, labels: readonly string[], n = 3): string[] {
  const c = canonical(name);
  const scored = labels.map((label) => {
    const l = canonical(label);
    const contains = c.length > 0 && (l.includes(c) || c.includes(l) || l.split(' ').some((w) => w.length > 2 && c.includes(w)));
    return { label, contains, d: editDistance(c, l) };
  });
  scored.sort((a, b) => Number(b.contains) - Number(a.contains) || a.d - b.d || a.label.localeCompare(b.label));
  return scored.slice(0, n).map((s) => s.label);
}

/** The index of a class given by name, or a TimError listing close names. */
export function resolveClass(name: string, labels: readonly string[]): number {
  const exact = labels.indexOf(name);
  if (exact >= 0) return exact;
  const c = canonical(name);
  const loose = labels.findIndex((l) => canonical(l) === c);
  if (loose >= 0) return loose;
  const close = closeNames(name, labels)
    .map((l) => `'${l}'`)
    .join(', ');
  throw new TimError(`unknown class '${name}' (the run knows ${labels.length} classes); closest: ${close}`);
}
