export { parseCsv } from '../io/csv';

/** RFC 4180 quoting: a field with a comma, quote, or line break is quoted, quotes doubled. */
export function csvField(value: string | number): string {
  const s = typeof value === 'number' ? formatNumber(value) : value;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Numbers as written in CSV files: integers plainly, others with 6 significant decimals. */
function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Number.isFinite(v) ? v.toFixed(6) : String(v);
}

export function csvLine(fields: ReadonlyArray<string | number>): string {
  return fields.map(csvField).join(',');
}

/** Lines joined with `\n`, ending with one. */
export function csvText(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  return rows.map(csvLine).join('\n') + '\n';
}

/** confusion.csv: a header of predicted class names, then one row per true class. */
export function confusionCsv(confusion: number[][], classes: readonly string[]): string {
  return csvText([['true\\pred', ...classes], ...confusion.map((row, i) => [classes[i] ?? String(i), ...row])]);
}
