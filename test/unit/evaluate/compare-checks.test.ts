import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { compareRuns, runLabels } from '../../../src/evaluate/compare';
import { readScoredImages } from '../../../src/evaluate/paired';
import { csvText, parseCsv } from '../../../src/io/csv';
import { tmpDir } from '../../support/tmp';
import { fakeConfig, writeFakeRun } from '../../support/fake-runs';

/** An evaluated fake run whose metrics.json records what real evaluation records: the split and the image count. */
function evaluatedRun(dir: string): string {
  writeFakeRun(dir, fakeConfig(), { perClass: 3 });
  const file = path.join(dir, 'metrics.json');
  const rows = parseCsv(fs.readFileSync(path.join(dir, 'predictions.csv'), 'utf8')).filter((r) => r.length > 1).length - 1;
  fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), split: 'val', num_samples: rows }));
  return dir;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('evaluate --runs cross-checks what it compares', () => {
  const t = tmpDir();
  const a = path.join(t.dir, 'x', 'seed-1');
  const b = path.join(t.dir, 'y', 'seed-1');
  let rows: string[][];
  beforeAll(() => {
    evaluatedRun(a);
    evaluatedRun(b);
    rows = parseCsv(fs.readFileSync(path.join(b, 'predictions.csv'), 'utf8')).filter((r) => r.length > 1);
  });
  afterAll(() => t.cleanup());

  it('refuses a run named twice, also through another path to it', () => {
    expect(() => compareRuns([a, a])).toThrow(new RegExp(`^--runs: '${escape(a)}' is the same run as '${escape(a)}'`));
    const link = path.join(t.dir, 'link');
    fs.symlinkSync(a, link);
    expect(() => compareRuns([a, b, link])).toThrow(new RegExp(`^--runs: '${escape(link)}' is the same run as '${escape(a)}' \\(`));
  });

  it('tells apart runs of the same folder name from different places by their parents', () => {
    const cmp = compareRuns([a, b]);
    expect(cmp.rows.map((r) => r.run)).toEqual(['x/seed-1', 'y/seed-1']);
    expect(runLabels(['/p/q/r', '/s/q/r', '/t/u'])).toEqual(['p/q/r', 's/q/r', 'u']);
  });

  it('names a predictions.csv that was cut short, edited or relabelled (property)', () => {
    const file = path.join(b, 'predictions.csv');
    const original = fs.readFileSync(file, 'utf8');
    const body = rows.length - 1;
    // Each damage: drop a row, rename an image, change a true class, or duplicate a row over another.
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('drop' as const), i: fc.integer({ min: 1, max: body }) }),
      fc.record({ kind: fc.constant('rename' as const), i: fc.integer({ min: 1, max: body }) }),
      fc.record({ kind: fc.constant('relabel' as const), i: fc.integer({ min: 1, max: body }), k: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('duplicate' as const), i: fc.integer({ min: 1, max: body }), j: fc.integer({ min: 1, max: body }) }).filter((d) => d.i !== d.j),
    );
    try {
      fc.assert(
        fc.property(damage, (d) => {
          const edited = rows.map((r) => [...r]);
          const row = edited[d.i] as string[];
          if (d.kind === 'drop') edited.splice(d.i, 1);
          else if (d.kind === 'rename') row[0] = `${row[0]}.copy.jpg`;
          else if (d.kind === 'relabel') {
            const classes = JSON.parse(fs.readFileSync(path.join(b, 'labels.json'), 'utf8')) as string[];
            row[1] = classes[(classes.indexOf(row[1] ?? '') + d.k) % classes.length] ?? '';
          } else edited[d.i] = [...(edited[d.j] as string[])];
          fs.writeFileSync(file, csvText(edited));
          const expected = {
            drop: /rows, but .*metrics\.json counts \d+ evaluated images/,
            rename: /is not one of the held-out \(val\) images of .*split\.json/,
            relabel: /has true class '.*', but .*split\.json says/,
            duplicate: /of the held-out images in .*split\.json is missing; expected each of those \d+ images once/,
          }[d.kind];
          expect(() => readScoredImages(b)).toThrow(new RegExp(`^${escape(file)}: .*`));
          expect(() => compareRuns([a, b])).toThrow(expected);
        }),
        { numRuns: 40 },
      );
    } finally {
      fs.writeFileSync(file, original);
    }
    expect(() => compareRuns([a, b])).not.toThrow();
  });
});
