import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { z } from 'zod';
import { historyFile, isRunFolder, jsonFile, metricsFile, splitFile, summaryFile } from '../../../../src/io/run-folder';
import { arbitraryOf } from '../../../support/schema-arbitrary';
import { tmpDir } from '../../../support/tmp';

/**
 * Run folders written by earlier versions of Tim. Each key added since came in as optional, so
 * those files read; the keys each case leaves out are the ones the named commit added.
 */

function current<S extends z.ZodType>(f: { schema: S }): z.output<S> {
  const [value] = fc.sample(arbitraryOf(f.schema), { numRuns: 1, seed: 11 });
  return value as z.output<S>;
}

function without(value: object, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));
}

describe('run folders of earlier versions', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tmpDir()));
  afterEach(() => cleanup());

  const put = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('summary.json before batch_norm_statistics (965e964) and ema (037abbe) reads', () => {
    const old = without(current(summaryFile), 'batch_norm_statistics', 'ema');
    const read = summaryFile.read(put('summary.json', JSON.stringify(old, null, 2)));
    expect(read.batch_norm_statistics).toBeUndefined();
    expect(read.ema).toBeUndefined();
    expect(read.best_epoch).toBe(old.best_epoch);
  });

  it('history.jsonl before the data-wait seconds (4276b6a) reads', () => {
    const old = without(current(historyFile), 'data_wait_seconds', 'data_prepare_seconds');
    const [read] = historyFile.read(put('history.jsonl', `${JSON.stringify(old)}\n`));
    expect(read?.data_wait_seconds).toBeUndefined();
    expect(read?.epoch).toBe(old.epoch);
  });

  it('metrics.json before balanced accuracy (36227e7), logit adjustment and calibration (abecb05) reads', () => {
    const old = without(current(metricsFile), 'balanced_accuracy', 'logit_adjust', 'calibration', 'unknown');
    const read = metricsFile.read(put('metrics.json', JSON.stringify(old, null, 2)));
    expect(read.balanced_accuracy).toBeUndefined();
    expect(read.calibration).toBeUndefined();
    expect(read.num_samples).toBe(old.num_samples);
  });

  it('split.json before k-fold (c9b7a5d), left-out artists (abecb05) and near duplicates (8a67639) reads', () => {
    const old = without(current(splitFile), 'folds', 'fold', 'unknown_classes', 'unknown', 'near_duplicates');
    const read = splitFile.read(put('split.json', JSON.stringify(old, null, 2)));
    expect(read.folds).toBeUndefined();
    expect(read.classes).toEqual(old.classes);
  });

  it('a run created before .tim-run.json (e5ff28c) is still known as a run by its config, labels and split', () => {
    put('config.yaml', 'name: old\n');
    put('labels.json', '["a"]\n');
    put('split.json', JSON.stringify({ root: 'd', seed: 0, val_fraction: 0.2, classes: ['a'], train: [], val: [] }));
    expect(isRunFolder(dir)).toBe(true);
    // A look-alike split.json (not what Tim writes) does not make a folder a run.
    put('split.json', JSON.stringify({ root: 'd', train: [], val: [] }));
    expect(isRunFolder(dir)).toBe(false);
  });

  it('a file without a required key that a later Tim added says it was written by an older Tim, naming the file and the key', () => {
    const later = jsonFile({
      name: 'later.json',
      schema: z.looseObject({ kept: z.number(), added: z.string() }),
      addedLater: { added: 'tim evaluate of 2026-12-06' },
      rewrite: "run 'tim evaluate' again",
    });
    const file = put('later.json', JSON.stringify({ kept: 1 }));
    expect(() => later.read(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: written by an older Tim \\(no 'added', which came with tim evaluate of 2026-12-06\\); run 'tim evaluate' again$`));
    // A key Tim always wrote is plainly missing: the file was damaged, not written by an older Tim.
    put('later.json', JSON.stringify({ added: 'x' }));
    expect(() => later.read(file)).toThrow(/: missing key 'kept' \(expected number\)$/);
  });
});
