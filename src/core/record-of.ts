/**
 * `{k: valueOf(k)}` for every key: Object.fromEntries typed by its keys, so a record over a
 * fixed key list (metrics, groups) needs no cast where it is built.
 */
export function recordOf<K extends string, V>(keys: readonly K[], valueOf: (key: K) => V): Record<K, V> {
  // Complete once the loop has run: every key of K is in `keys`.
  const out = {} as Record<K, V>;
  for (const k of keys) out[k] = valueOf(k);
  return out;
}
