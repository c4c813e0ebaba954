import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { modelBenchResultSchema } from '../../../bench/model-bench';
import { readSplit } from '../../../src/data/split';
import { readScoredImages } from '../../../src/evaluate/paired';
import { loadReference } from '../../../src/experiments/reference';
import { readRunData } from '../../../src/experiments/run-data';
import { recordedAccuracy } from '../../../src/export/web';
import { readManifest } from '../../../src/experiments/summary';
import { lastJsonLine } from '../../../src/io/json-file';
import { readModelArtifacts, saveModel } from '../../../src/io/model-io';
import fc from 'fast-check';
import { metricsFile, RunFolder } from '../../../src/io/run-folder';
import { arbitraryOf } from '../../support/schema-arbitrary';
import { acquireRunLock, clearStaleLock, lockFileOf } from '../../../src/io/run-lock';
import { describeWeightFile } from '../../../src/models/weights/info';
import { readSafetensorsHeader } from '../../../src/models/weights/safetensors';
import { tmpDir } from '../../support/tmp';

/** The one-line error a JSON file with a wrong value at `key` gives: the file, the key, what was expected, what was given. */
function wrongKey(source: string, key: string, expected: string, got: string): RegExp {
  const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${escaped(source)}: key '${escaped(key)}': ${escaped(expected)}, got ${escaped(got)}(;[^\\n]*)?$`);
}

describe('JSON files Tim reads back', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tmpDir()));
  afterEach(() => cleanup());

  const write = (name: string, value: unknown): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
  };

  it('sweep.json: a wrong key names the file and the key', () => {
    const file = write('sweep.json', { name: 's', fixed: {}, grid: [{ key: 'seed', label: 'seed', values: [1, [2]] }], runs: [] });
    expect(() => readManifest(dir)).toThrow(wrongKey(file, 'grid.0.values.1', 'expected string or number or boolean', 'a list [2]'));
    write('sweep.json', { name: 's', fixed: { seed: 1 }, grid: [], runs: [{ name: 'r', values: { seed: 1 } }] });
    expect(readManifest(dir)).toEqual({ name: 's', fixed: { seed: 1 }, grid: [], runs: [{ name: 'r', values: { seed: 1 } }] });
  });

  it('split.json: a wrong key names the file and the key', () => {
    const file = write('split.json', { root: 'd', seed: '3', val_fraction: 0.2, classes: ['a'], train: [], val: [] });
    expect(() => readSplit(file)).toThrow(wrongKey(file, 'seed', 'expected number', "'3' (text)"));
    write('split.json', { root: 'd', seed: 3, val_fraction: 0.2, classes: ['a'], train: [{ path: 'a/1.jpg', label: 0.5 }], val: [] });
    expect(() => readSplit(file)).toThrow(wrongKey(file, 'train.0.label', 'expected a whole number', '0.5'));
  });

  it('labels.json of a scored run: a wrong key names the file and the key', () => {
    fs.writeFileSync(path.join(dir, 'predictions.csv'), 'path,label,pred\na/1.jpg,a,a\n');
    const file = write('labels.json', ['a', 2]);
    expect(() => readScoredImages(dir)).toThrow(wrongKey(file, '1', 'expected string', '2'));
  });

  it('the files a report reads: a wrong key is a problem naming the file and the key, and the rest is still read', () => {
    const metrics = write('metrics.json', { accuracy: 'high' });
    write('labels.json', ['a', 'b']);
    const split = write('split.json', { root: 'd', seed: 1, val_fraction: 0.2, classes: ['a'], train: {}, val: [] });
    const line = { epoch: 1, train_loss: 1, train_acc: 0.5, val_loss: 1, val_acc: 0.5, lr: { early: 0, middle: 0, head: 1e-3 }, update_ratio: { early: 0, middle: 0, head: 0.1 }, seconds: 1, images_per_sec: 8, num_tensors: 10, rss_mb: 100 };
    fs.writeFileSync(path.join(dir, 'history.jsonl'), `${JSON.stringify(line)}\n{"epoch": 2, "train_loss": "x"\n`);
    const run = readRunData(dir);
    expect(run.labels).toEqual(['a', 'b']);
    expect(run.metrics).toBeUndefined();
    expect(run.split).toBeUndefined();
    expect(run.history.map((h) => h.epoch)).toEqual([1]);
    expect(run.problems).toEqual([
      expect.stringMatching(new RegExp(`^${path.join(dir, 'history.jsonl').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line 2: not valid JSON`)),
      expect.stringMatching(wrongKey(metrics, 'accuracy', 'expected number', "'high' (text)")),
      expect.stringMatching(wrongKey(split, 'train', 'expected array', 'a mapping')),
    ]);
  });

  it("metrics.json as the web export reads it: a wrong key names the file and the key", () => {
    const [recorded] = fc.sample(arbitraryOf(metricsFile.schema), { numRuns: 1, seed: 3 });
    const metrics = { ...recorded, accuracy: 0.75, num_samples: 8, bootstrap: { ...recorded!.bootstrap, metrics: { ...recorded!.bootstrap.metrics, accuracy: { mean: 0.74, lo: 0.5, hi: 0.9 } } } };
    write('metrics.json', metrics);
    const folder = new RunFolder(dir);
    expect(recordedAccuracy(folder)).toEqual({ accuracy: 0.75, lo: 0.5, hi: 0.9, n: 8 });
    const file = write('metrics.json', { ...metrics, bootstrap: { ...metrics.bootstrap, metrics: { ...metrics.bootstrap.metrics, accuracy: { mean: 0.74, lo: '0.5', hi: 0.9 } } } });
    expect(() => recordedAccuracy(folder)).toThrow(wrongKey(file, 'bootstrap.metrics.accuracy.lo', 'expected number', "'0.5' (text)"));
  });

  it('reference.json: a wrong key names the file and the key', () => {
    const file = write('reference.json', { about: 'a', published_method: 'm', runs: { r: { title: 't', published: 1.5, history: 'h.csv' } }, claims: [] });
    expect(() => loadReference(dir)).toThrow(wrongKey(file, 'runs.r.published', 'Too big: expected number to be <=1', '1.5'));
  });

  it('model.json: a wrong key names the file and the key; what wrote it is checked too', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    await saveModel(model, dir);
    model.dispose();
    const file = path.join(dir, 'model.json');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(describeWeightFile(file).layerClasses).toEqual([{ className: 'Dense', count: 1, registered: true }]);
    fs.writeFileSync(file, JSON.stringify({ ...saved, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [2, 1], dtype: 'float64' }] }] }));
    expect(() => readModelArtifacts(dir)).toThrow(wrongKey(file, 'weightsManifest.0.weights.0.dtype', 'expected one of "float32"|"int32"|"bool"|"string"|"complex64"', "'float64' (text)"));
    fs.writeFileSync(file, JSON.stringify({ ...saved, generatedBy: 7 }));
    expect(() => describeWeightFile(file)).toThrow(wrongKey(file, 'generatedBy', 'expected string', '7'));
  });

  it('a safetensors header: a wrong key names the file and the tensor', () => {
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }));
    const buf = Buffer.concat([Buffer.alloc(8), header, Buffer.alloc(4)]);
    buf.writeBigUInt64LE(BigInt(header.length), 0);
    expect(() => readSafetensorsHeader(buf, 'w.safetensors')).toThrow(/^w\.safetensors \(safetensors header\): key 'w\.data_offsets': .*, got a list \[0\]$/);
  });

  it("a benchmark's result line: a wrong key names the measurement and the key", () => {
    const stdout = `warming up\n${JSON.stringify({ backend: 'wasm', ms_per_image: 'fast', peak_rss_mb: 1 })}\n`;
    expect(() => lastJsonLine(stdout, 'tim train resnet50', modelBenchResultSchema)).toThrow(wrongKey("tim train resnet50's result", 'ms_per_image', 'expected number', "'fast' (text)"));
    expect(lastJsonLine(stdout.replace('"fast"', '2'), 'tim train resnet50', modelBenchResultSchema)).toEqual({ backend: 'wasm', ms_per_image: 2, peak_rss_mb: 1 });
  });

  it('a run lock with a wrong key counts as unreadable: held until a writer takes it over', () => {
    const runDir = path.join(dir, 'run');
    const file = lockFileOf(runDir);
    fs.writeFileSync(file, JSON.stringify({ pid: String(process.pid), hostname: 'elsewhere', started: 'now' }));
    expect(clearStaleLock(runDir)).toBe(false);
    expect(fs.existsSync(file)).toBe(true);
    const lock = acquireRunLock(runDir);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
  });
});
