import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { z } from 'zod';
import {
  averageFile,
  bestEpochFile,
  calibrationFile,
  exportLabelsFile,
  exportPreprocessingFile,
  faithfulnessFile,
  historyFile,
  labelsFile,
  loopStateFile,
  metricsFile,
  runMarkerFile,
  shardMarkerFile,
  splitFile,
  summaryFile,
  sweepManifestFile,
  tensorsManifestFile,
  webMetadataFile,
  type JsonFile,
} from '../../../../src/io/run-folder';
import { arbitraryOf } from '../../../support/schema-arbitrary';
import { tmpDir } from '../../../support/tmp';

/** A run's JSON files, its checkpoints', a sweep folder's, an export's. */
const JSON_FILES: JsonFile<z.ZodType>[] = [
  ...[labelsFile, splitFile, runMarkerFile, summaryFile, metricsFile, calibrationFile, averageFile, faithfulnessFile],
  ...[bestEpochFile, loopStateFile, tensorsManifestFile],
  ...[sweepManifestFile, shardMarkerFile],
  ...[webMetadataFile, exportLabelsFile, exportPreprocessingFile],
];

/** A value the file's writer accepts (fixed seed: the same one each run). */
function example(f: { schema: z.ZodType }): Record<string, unknown> {
  const [value] = fc.sample(arbitraryOf(f.schema), { numRuns: 1, seed: 7 });
  return value as Record<string, unknown>;
}

function firstRequiredKey(schema: z.ZodType): string {
  const shape = schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
  const key = Object.keys(shape).find((k) => !(shape[k] instanceof z.ZodOptional));
  if (key === undefined) throw new Error('the schema has no required key');
  return key;
}

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('the JSON files of run, checkpoint, sweep and export folders', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tmpDir()));
  afterEach(() => cleanup());

  describe.each(JSON_FILES.map((f) => [f === exportLabelsFile ? `${f.name} of an export` : f.name, f] as const))('%s', (_title, f) => {
    // A shard's marker is named by its shard (`shards/<i>-of-<n>.json`).
    const file = (): string => path.join(dir, path.basename(f.name));

    it('reads back what its writer wrote, for any value the schema describes', () => {
      fc.assert(
        fc.property(arbitraryOf(f.schema), (value) => {
          f.write(file(), value);
          expect(f.read(file())).toEqual(value);
        }),
        { numRuns: 40 },
      );
    });

    it('ends with a newline, laid out as it always was', () => {
      const value = example(f);
      f.write(file(), value);
      const text = fs.readFileSync(file(), 'utf8');
      expect(text).toBe(`${f.layout === 'compact' ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
    });

    it('refuses to write what it could not read back, and writes nothing', () => {
      const value = example(f);
      // Without a required key (undefined is left out of JSON), or a list of something else.
      const broken = Array.isArray(value) ? [7] : { ...value, [firstRequiredKey(f.schema)]: undefined };
      expect(() => f.write(file(), broken)).toThrow(new RegExp(`^refusing to write ${escaped(file())}: ${escaped(file())}: (missing )?key`));
      expect(fs.existsSync(file())).toBe(false);
    });
  });

  it.each([
    [summaryFile.name, summaryFile, 'best_epoch', 'number'],
    [metricsFile.name, metricsFile, 'num_samples', 'number'],
    [calibrationFile.name, calibrationFile, 'temperature', 'number'],
    [splitFile.name, splitFile, 'root', 'string'],
    [runMarkerFile.name, runMarkerFile, 'created', 'string'],
    [averageFile.name, averageFile, 'sources', 'array'],
  ] as const)('%s: a missing required key is one line naming the file and the key', (_name, f, key, expected) => {
    const value = example(f);
    delete value[key];
    const file = path.join(dir, f.name);
    fs.writeFileSync(file, JSON.stringify(value));
    expect(() => f.read(file)).toThrow(new RegExp(`^${escaped(file)}: missing key '${key}' \\(expected ${expected}\\)$`));
  });

  it.each([
    [summaryFile.name, summaryFile, 'interrupted', 'yes', "expected boolean, got 'yes' (text)"],
    [metricsFile.name, metricsFile, 'accuracy', 'high', "expected number, got 'high' (text)"],
    [calibrationFile.name, calibrationFile, 'unknown', 3, 'expected object, got 3'],
    [labelsFile.name, labelsFile, '0', 3, 'expected string, got 3'],
  ] as const)('%s: a wrong type is one line naming the file, the key, what was expected and given', (_name, f, key, given, message) => {
    const value = example(f);
    const file = path.join(dir, f.name);
    fs.writeFileSync(file, JSON.stringify(Array.isArray(value) ? [given] : { ...value, [key]: given }));
    expect(() => f.read(file)).toThrow(new RegExp(`^${escaped(file)}: key '${key}': ${escaped(message)}$`));
  });

  it('a figure that is not defined (NaN) is written as null and read back as NaN', () => {
    const value = { ...example(summaryFile), best_value: NaN } as z.output<typeof summaryFile.schema>;
    const file = path.join(dir, summaryFile.name);
    summaryFile.write(file, value);
    expect(fs.readFileSync(file, 'utf8')).toContain('"best_value": null');
    expect(summaryFile.read(file).best_value).toBeNaN();
  });
});

describe('history.jsonl', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tmpDir()));
  afterEach(() => cleanup());

  it('reads back every line its writer appended, for any lines the schema describes', () => {
    fc.assert(
      fc.property(fc.array(arbitraryOf(historyFile.schema), { maxLength: 4 }), (lines) => {
        const file = path.join(dir, historyFile.name);
        fs.rmSync(file, { force: true });
        for (const line of lines) historyFile.append(file, line);
        expect(historyFile.read(file)).toEqual(lines);
        historyFile.write(file, lines.slice(0, 1));
        expect(historyFile.read(file)).toEqual(lines.slice(0, 1));
      }),
      { numRuns: 30 },
    );
  });

  it('one JSON object a line, as it always was', () => {
    const line = example(historyFile) as z.output<typeof historyFile.schema>;
    const file = path.join(dir, historyFile.name);
    historyFile.append(file, line);
    historyFile.append(file, line);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${JSON.stringify(line)}\n${JSON.stringify(line)}\n`);
  });

  it('a line with a missing key names the file, the line and the key; a damaged line can be skipped', () => {
    const line = example(historyFile);
    const file = path.join(dir, historyFile.name);
    const { rss_mb: _dropped, ...short } = line;
    fs.writeFileSync(file, `${JSON.stringify(line)}\n${JSON.stringify(short)}\n{"epoch": 3, "train_`);
    expect(() => historyFile.read(file)).toThrow(new RegExp(`^${escaped(file)} line 2: missing key 'rss_mb' \\(expected number\\)$`));
    const problems: string[] = [];
    expect(historyFile.read(file, (p) => problems.push(p))).toHaveLength(1);
    expect(problems).toEqual([expect.stringMatching(/ line 2: missing key 'rss_mb'/), expect.stringMatching(/ line 3: not valid JSON/)]);
  });
});
