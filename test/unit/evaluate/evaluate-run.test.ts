import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { evaluateRun } from '../../../src/evaluate/evaluate-run';
import { parseCsv } from '../../../src/io/csv';
import { loadModel } from '../../../src/io/model-io';
import { tmpDir } from '../../support/tmp';
import { CLASSES, IMAGE_SIZE, makeDataset, makeRun, writeImage } from './run-fixture';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** The model input written out independently of Tim's decoder, with sharp's own fit modes. */
async function referenceInput(file: string, resize: 'stretch' | 'letterbox'): Promise<tf.Tensor4D> {
  const { data } = await sharp(file)
    .resize(IMAGE_SIZE, IMAGE_SIZE, { fit: resize === 'stretch' ? 'fill' : 'contain', background: { r: 0, g: 0, b: 0 }, kernel: 'cubic' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const values = Float32Array.from(data, (v, i) => (v / 255 - MEAN[i % 3]!) / STD[i % 3]!);
  return tf.tensor4d(values, [1, IMAGE_SIZE, IMAGE_SIZE, 3]);
}

jest.setTimeout(60_000);

let tmp: ReturnType<typeof tmpDir>;
let dataRoot: string;
let split: Awaited<ReturnType<typeof makeDataset>>;

beforeAll(async () => {
  tmp = tmpDir();
  dataRoot = path.join(tmp.dir, 'data');
  split = await makeDataset(dataRoot, 3);
});
afterAll(() => tmp.cleanup());

test('evaluates the validation split only and writes every output file', async () => {
  const runDir = path.join(tmp.dir, 'runs', 'letterbox');
  await makeRun(runDir, split, { resize: 'letterbox' });
  const before = tf.memory().numTensors;
  const result = await evaluateRun(runDir, { bootstrap: 100, seed: 3, progress: false });
  expect(tf.memory().numTensors).toBe(before);

  const metrics = JSON.parse(fs.readFileSync(path.join(runDir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  for (const k of ['accuracy', 'precision_weighted', 'recall_weighted', 'f1_weighted', 'precision_macro', 'recall_macro', 'f1_macro', 'top3_accuracy', 'ece', 'per_class', 'bootstrap', 'confusions']) {
    expect(metrics).toHaveProperty(k);
  }
  expect(metrics.num_samples).toBe(split.val.length);

  // predictions.csv: the validation images, and nothing else; names with commas and quotes survive.
  const rows = parseCsv(fs.readFileSync(path.join(runDir, 'predictions.csv'), 'utf8'));
  expect(rows[0]).toEqual(['path', 'label', 'pred', 'confidence', 'top1', 'top1_prob', 'top2', 'top2_prob', 'top3', 'top3_prob']);
  const body = rows.slice(1);
  expect(body.map((r) => r[0]).sort()).toEqual(split.val.map((v) => v.path).sort());
  for (const r of body) {
    expect(CLASSES).toContain(r[1]);
    expect(r[2]).toBe(r[4]);
    const probs = [Number(r[5]), Number(r[7]), Number(r[9])];
    expect(probs[0]).toBeGreaterThanOrEqual(probs[1]!);
    expect(probs[1]).toBeGreaterThanOrEqual(probs[2]!);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4); // three classes: top-3 is all of them
  }
  // The headline accuracy is the one the CSV shows.
  const correct = body.filter((r) => r[1] === r[2]).length;
  expect(result.metrics.accuracy).toBeCloseTo(correct / body.length, 12);

  // confusion.csv: true classes by rows, counts summing to the split size.
  const conf = parseCsv(fs.readFileSync(path.join(runDir, 'confusion.csv'), 'utf8'));
  expect(conf[0]!.slice(1)).toEqual(CLASSES);
  expect(conf.slice(1).map((r) => r[0])).toEqual(CLASSES);
  const rowSums = conf.slice(1).map((r) => r.slice(1).reduce((a, c) => a + Number(c), 0));
  expect(rowSums).toEqual([3, 3, 3]);

  const png = await sharp(path.join(runDir, 'confusion.png')).metadata();
  expect(png.format).toBe('png');
  expect(png.width).toBeGreaterThan(150);
});

test("uses the run's own preprocessing: stretch and letterbox runs see different inputs", async () => {
  for (const resize of ['stretch', 'letterbox'] as const) {
    const runDir = path.join(tmp.dir, 'runs', `pre-${resize}`);
    await makeRun(runDir, split, { resize, seed: 11 });
    await evaluateRun(runDir, { bootstrap: 10, progress: false });
    const rows = parseCsv(fs.readFileSync(path.join(runDir, 'predictions.csv'), 'utf8')).slice(1);
    const model = await loadModel(path.join(runDir, 'best'));
    // Reference probabilities for both resize modes, one batch each.
    const probsFor = async (mode: 'stretch' | 'letterbox'): Promise<Float32Array> => {
      const inputs = await Promise.all(rows.map((r) => referenceInput(path.join(dataRoot, r[0]!), mode)));
      const p = tf.tidy(() => tf.softmax(model.predict(tf.concat(inputs)) as tf.Tensor2D));
      const v = (await p.data()) as Float32Array;
      tf.dispose([...inputs, p]);
      return v;
    };
    const k = CLASSES.length;
    const maxDiff = (v: Float32Array): number =>
      Math.max(
        ...rows.map((r, i) => {
          const recorded = new Map([[r[4]!, Number(r[5])], [r[6]!, Number(r[7])], [r[8]!, Number(r[9])]]);
          return Math.max(...CLASSES.map((c, j) => Math.abs((recorded.get(c) ?? 0) - v[i * k + j]!)));
        }),
      );
    const same = maxDiff(await probsFor(resize));
    const other = maxDiff(await probsFor(resize === 'stretch' ? 'letterbox' : 'stretch'));
    model.dispose();
    expect(same).toBeLessThan(1e-4);
    expect(other).toBeGreaterThan(1e-2);
  }
});

test('training entries of the fixture are unreadable, so reading one would fail the evaluation', async () => {
  const runDir = path.join(tmp.dir, 'runs', 'reads-train');
  // The same files, with one training entry moved to the validation list.
  await makeRun(runDir, { ...split, train: split.train.slice(1), val: [...split.val, split.train[0]!] }, { resize: 'letterbox' });
  await expect(evaluateRun(runDir, { bootstrap: 10, progress: false })).rejects.toThrow(/train_0\.jpg: cannot decode image/);
});

test('flip test-time augmentation averages the softmax of each image and its mirror', async () => {
  const runDir = path.join(tmp.dir, 'runs', 'tta');
  await makeRun(runDir, split, { resize: 'stretch', seed: 2 });
  const out = (name: string): string => path.join(tmp.dir, 'tta-out', name);
  const before = tf.memory().numTensors;
  const plain = await evaluateRun(runDir, { bootstrap: 10, progress: false, out: out('plain') });
  const flipped = await evaluateRun(runDir, { bootstrap: 10, progress: false, out: out('flip'), tta: 'flip' });
  expect(tf.memory().numTensors).toBe(before);
  expect(plain.metrics.tta).toBe('none');
  expect(flipped.metrics.tta).toBe('flip');
  const probs = (dir: string): Map<string, number[]> =>
    new Map(
      parseCsv(fs.readFileSync(path.join(dir, 'predictions.csv'), 'utf8'))
        .slice(1)
        .map((r) => [r[0]!, CLASSES.map((c) => Number(r[r.indexOf(c, 4) + 1]))]),
    );
  // Reference: the model on the stretched image and on its mirror, averaged.
  const model = await loadModel(path.join(runDir, 'best'));
  const files = [...probs(out('flip')).keys()];
  const inputs = await Promise.all(files.map((f) => referenceInput(path.join(dataRoot, f), 'stretch')));
  const expected = tf.tidy(() => {
    const x = tf.concat(inputs);
    const a = tf.softmax(model.predict(x) as tf.Tensor2D);
    const b = tf.softmax(model.predict(tf.reverse(x, 2)) as tf.Tensor2D);
    return a.add(b).div(2).arraySync() as number[][];
  });
  tf.dispose(inputs);
  model.dispose();
  const got = probs(out('flip'));
  const unflipped = probs(out('plain'));
  let changed = 0;
  files.forEach((f, i) => {
    got.get(f)!.forEach((p, j) => expect(p).toBeCloseTo(expected[i]![j]!, 4));
    changed = Math.max(changed, ...unflipped.get(f)!.map((p, j) => Math.abs(p - got.get(f)![j]!)));
  });
  // The fixture's pictures are not symmetric, so the mirror really changes the answer.
  expect(changed).toBeGreaterThan(1e-3);
});

test('--data evaluates on an external folder, matching classes by name', async () => {
  const runDir = path.join(tmp.dir, 'runs', 'external');
  await makeRun(runDir, split, { resize: 'letterbox' });
  const ext = path.join(tmp.dir, 'external-set');
  await writeImage(path.join(ext, 'Gamma', 'a.png'), 20, 20, [30, 30, 200]);
  await writeImage(path.join(ext, 'Alpha Painter', 'b.png'), 30, 20, [200, 30, 30]);
  const r = await evaluateRun(runDir, { data: ext, bootstrap: 10, progress: false });
  expect(r.outDir).toBe(path.join(runDir, 'external-external-set'));
  expect(r.metrics.split).toBe('external');
  expect(r.metrics.num_samples).toBe(2);
  expect(r.metrics.per_class.map((c) => c.support)).toEqual([1, 0, 1]);
  const rows = parseCsv(fs.readFileSync(path.join(r.outDir, 'predictions.csv'), 'utf8')).slice(1);
  expect(rows.map((x) => [x[0], x[1]])).toEqual([
    ['Alpha Painter/b.png', 'Alpha Painter'],
    ['Gamma/a.png', 'Gamma'],
  ]);
  // The held-out metrics of the run are left alone.
  expect(fs.existsSync(path.join(runDir, 'metrics.json'))).toBe(false);

  await writeImage(path.join(ext, 'Delta Unknown', 'c.png'), 20, 20, [1, 2, 3]);
  await expect(evaluateRun(runDir, { data: ext, progress: false })).rejects.toThrow(/not trained on: 'Delta Unknown'/);
});
