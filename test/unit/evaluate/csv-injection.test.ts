import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { readScoredImages } from '../../../src/evaluate/paired';
import { predictionRows } from '../../../src/evaluate/report';
import { confusionFile, predictionsFile } from '../../../src/io/run-folder';
import { csvField, csvText, parseCsv } from '../../../src/io/csv';
import { tmpDir } from '../../support/tmp';

/** What a spreadsheet takes as the start of a formula (OWASP's CSV-injection list). */
const FORMULA = /^[=+\-@\t\r]/;

/** The text a spreadsheet shows for one written field: quotes removed, doubled quotes undoubled. */
function shown(field: string): string {
  return field.startsWith('"') ? field.slice(1, -1).replace(/""/g, '"') : field;
}

// Any UTF-16 strings, with the formula starts, quotes, separators and line breaks made frequent.
const cell = fc.string({ unit: fc.oneof(fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', "'", '"', ',', ' ', '1', '.'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 12 });

describe('CSV cells that a spreadsheet would run as a formula', () => {
  it('any text cell reads back exactly through write and read', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }), (rows) => {
        expect(parseCsv(csvText(rows))).toEqual(rows);
      }),
      { numRuns: 500 },
    );
  });

  it('no written text cell shows a formula start: those get a leading quote, inside double quotes', () => {
    fc.assert(
      fc.property(cell, (s) => {
        const field = csvField(s);
        expect(shown(field)).not.toMatch(FORMULA);
        if (FORMULA.test(s)) expect(field).toBe(`"'${s.replace(/"/g, '""')}"`);
      }),
      { numRuns: 1000 },
    );
  });

  it("a cell that itself starts with ' before a formula start keeps all its quotes", () => {
    for (const s of ["'=1+1", "''-3", "'plain", "'"]) expect(parseCsv(csvText([[s, '=x']]))).toEqual([[s, '=x']]);
    expect(csvField("'=1+1")).toBe(`"''=1+1"`);
    expect(csvField("'plain")).toBe("'plain");
  });

  it('numbers Tim writes stay numbers, negative ones included; the same text from user data is neutralised', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.constantFrom<'fixed' | 'full'>('fixed', 'full'), (v, numbers) => {
        const field = csvField(v, { numbers });
        expect(field.startsWith('"')).toBe(false);
        const back = Number(parseCsv(`${field}\n`)[0]![0]);
        if (numbers === 'full' || Number.isInteger(v) || !Number.isFinite(v)) expect(back).toBe(v === 0 ? 0 : v);
      }),
    );
    expect(csvField(-0.5)).toBe('-0.500000');
    expect(csvField('-0.5')).toBe(`"'-0.5"`);
  });
});

describe("Tim's CSV files with hostile class names and paths", () => {
  const classes = ['=HYPERLINK("http://x","click")', '+cmd|/C calc!A0', '-2+3', '@SUM(A1)', '\tTab', 'Monet'];
  const predicted = { paths: ['=1+1.png', '@a/b.jpg', 'ok.png'], labels: [0, 3, 5], probs: new Float32Array(18).fill(1 / 6), logits: new Float32Array(18), numClasses: 6 };

  it('predictions.csv and confusion.csv show no formula and read back to the exact names', () => {
    const t = tmpDir();
    try {
      const text = predictionsFile.text(predictionRows(predicted, classes));
      for (const row of text.trimEnd().split('\n')) for (const f of row.match(/"(?:[^"]|"")*"|[^,]+/g) ?? []) expect(shown(f)).not.toMatch(FORMULA);
      fs.writeFileSync(path.join(t.dir, 'predictions.csv'), text);
      fs.writeFileSync(path.join(t.dir, 'labels.json'), JSON.stringify(classes));
      const scored = readScoredImages(t.dir);
      expect(scored.paths).toEqual(predicted.paths);
      expect(scored.labels).toEqual(['=HYPERLINK("http://x","click")', '@SUM(A1)', 'Monet']);
      const confusion = parseCsv(confusionFile.text({ labels: classes, matrix: classes.map(() => classes.map(() => 1)) }));
      expect(confusion[0]!.slice(1)).toEqual(classes);
      expect(confusion.slice(1).map((r) => r[0])).toEqual(classes);
    } finally {
      t.cleanup();
    }
  });
});
