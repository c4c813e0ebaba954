/** Splits RFC 4180 CSV text into rows of fields (the inverse of csvText). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export type CsvValue = string | number | boolean | null | undefined;

export interface CsvOptions {
  /**
   * How non-integer numbers are written: `fixed` with 6 decimals (the evaluation files),
   * `full` in the shortest form that reads back exactly (the sweep summaries). Default `fixed`.
   */
  numbers?: 'fixed' | 'full';
}

function formatNumber(v: number, numbers: CsvOptions['numbers']): string {
  if (Number.isInteger(v) || !Number.isFinite(v) || numbers === 'full') return String(v);
  return v.toFixed(6);
}

/** RFC 4180 quoting: a field with a comma, quote, line break or edge space is quoted, quotes doubled; blanks for null. */
export function csvField(value: CsvValue, opts: CsvOptions = {}): string {
  const s = typeof value === 'number' ? formatNumber(value, opts.numbers) : value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Lines joined with `\n`, ending with one. */
export function csvText(rows: ReadonlyArray<ReadonlyArray<CsvValue>>, opts: CsvOptions = {}): string {
  return rows.map((row) => row.map((v) => csvField(v, opts)).join(',')).join('\n') + '\n';
}
