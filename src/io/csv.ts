/**
 * Text a spreadsheet would run as a formula (OWASP's list: `=`, `+`, `-`, `@`, tab, carriage
 * return), also after leading single quotes, so that a cell that already starts with `'` and one
 * Tim prefixed never read back the same.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
/** A neutralised cell as written: one more `'` before the formula start, always inside quotes. */
const NEUTRALISED = /^'+[=+\-@\t\r]/;

/**
 * Splits RFC 4180 CSV text into rows of fields (the inverse of csvText): a quoted field that
 * csvText neutralised with a leading `'` reads back without it.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  const endField = () => {
    row.push(wasQuoted && NEUTRALISED.test(field) ? field.slice(1) : field);
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = wasQuoted = true;
    else if (ch === ',') endField();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endField();
      rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field !== '' || wasQuoted || row.length) {
    endField();
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

/**
 * RFC 4180 quoting: a field with a comma, quote, line break or edge space is quoted, quotes
 * doubled; blanks for null. A text cell that a spreadsheet would take as a formula gets a
 * leading `'` and quotes (OWASP's CSV-injection guidance); numbers are written as numbers, so
 * a negative number stays one. Every text cell is treated as possibly from user data.
 */
export function csvField(value: CsvValue, opts: CsvOptions = {}): string {
  if (typeof value === 'number') return formatNumber(value, opts.numbers);
  const s = value === null || value === undefined ? '' : String(value);
  if (FORMULA_START.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Lines joined with `\n`, ending with one. */
export function csvText(rows: ReadonlyArray<ReadonlyArray<CsvValue>>, opts: CsvOptions = {}): string {
  return rows.map((row) => row.map((v) => csvField(v, opts)).join(',')).join('\n') + '\n';
}
