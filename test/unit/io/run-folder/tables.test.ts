import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { confusionFile, predictionsFile, type PredictionRow } from '../../../../src/io/run-folder';
import { tmpDir } from '../../../support/tmp';

/** Class names and paths as users give them: any text, formula starts, commas and quotes included. */
const name = fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), fc.constantFrom('=1+1', '+cmd', '-2', '@SUM(A1)', "'=x", 'a,"b"', 'x\ny'));

describe('the CSV files of an evaluation', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tmpDir()));
  afterEach(() => cleanup());

  it('confusion.csv reads back the class names and counts its writer wrote', () => {
    const table = fc.array(name, { minLength: 1, maxLength: 4 }).chain((labels) =>
      fc.record({ labels: fc.constant(labels), matrix: fc.array(fc.array(fc.nat(1000), { minLength: labels.length, maxLength: labels.length }), { minLength: labels.length, maxLength: labels.length }) }),
    );
    fc.assert(
      fc.property(table, (t) => {
        const file = path.join(dir, confusionFile.name);
        confusionFile.write(file, t);
        expect(confusionFile.read(file)).toEqual(t);
      }),
      { numRuns: 60 },
    );
  });

  it('predictions.csv reads back each row’s path, true and predicted class', () => {
    const row: fc.Arbitrary<PredictionRow> = fc.tuple(name, name, name, fc.double({ min: 0, max: 1, noNaN: true })).map(([p, l, q, c]) => [p, l, q, c, q, c, '', '', '', '']);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 5 }), (rows) => {
        const file = path.join(dir, predictionsFile.name);
        predictionsFile.write(file, rows);
        expect(predictionsFile.read(file, 'evaluate again')).toEqual({ paths: rows.map((r) => r[0]), labels: rows.map((r) => r[1]), preds: rows.map((r) => r[2]) });
      }),
      { numRuns: 60 },
    );
  });

  it('predictions.csv: a missing file or column is one line naming the file and what to do', () => {
    const file = path.join(dir, predictionsFile.name);
    expect(() => predictionsFile.read(file, 'evaluate the run first')).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: missing; evaluate the run first$`));
    fs.writeFileSync(file, 'path,label\na.jpg,x\n');
    expect(() => predictionsFile.read(file, 'again')).toThrow(/: no 'pred' column \(expected path,label,pred,\.\.\.\)$/);
  });
});
