import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { calibrationScores, fitTemperature, softmaxWithTemperature } from '../../../src/evaluate/calibration';
import { evaluateRun } from '../../../src/evaluate/evaluate-run';
import { keepThreshold, rocAuc, topProbabilities } from '../../../src/evaluate/unknown';
import { disposeRun, loadRunForInference } from '../../../src/inference/inference-run';
import { predictImages } from '../../../src/inference/predict';
import { evalBatches } from '../../../src/evaluate/inputs';
import { runTim, timOk } from '../../support/cli';
import { tmpDir } from '../../support/tmp';
import { makeDataset, makeRun, writeImage } from './run-fixture';

jest.setTimeout(60_000);

let tmp: ReturnType<typeof tmpDir>;
let split: Awaited<ReturnType<typeof makeDataset>>;
let runDir: string;
let others: string;

/** The run's logits of some items, straight from the model with evaluation's own input pipeline. */
async function logitsOf(root: string, items: { path: string; label: number }[], dir = runDir): Promise<Float32Array> {
  const run = await loadRunForInference(dir);
  const out: number[] = [];
  for await (const b of evalBatches(root, items, run.spec, 64)) {
    const z = tf.tidy(() => run.tm.model.predict(b.x) as tf.Tensor);
    out.push(...(await z.data()));
    tf.dispose([z, b.x]);
  }
  disposeRun(run);
  return Float32Array.from(out);
}

beforeAll(async () => {
  tmp = tmpDir();
  split = await makeDataset(path.join(tmp.dir, 'data'), 6);
  runDir = path.join(tmp.dir, 'run');
  await makeRun(runDir, split, { resize: 'stretch', seed: 4 });
  others = path.join(tmp.dir, 'others');
  for (let i = 0; i < 7; i++) await writeImage(path.join(others, i % 2 ? 'Somebody' : '', `other_${i}.png`), 20 + i, 24, [i * 30, 255 - i * 20, 90]);
});
afterAll(() => tmp.cleanup());

test('evaluate fits, cross-fits and saves the temperature and the unknown-artist threshold', async () => {
  const before = tf.memory().numTensors;
  const result = await evaluateRun(runDir, { bootstrap: 50, seed: 2, progress: false, unknown: others, keep: 0.8 });
  expect(tf.memory().numTensors).toBe(before);
  const k = split.classes.length;
  // Evaluation predicts the held-out items in split.json's order.
  const ordered = split.val;
  const logits = await logitsOf(split.root, ordered);
  const labels = ordered.map((it) => it.label);
  const c = result.metrics.calibration!;
  // The saved T is the one fitted on every held-out image.
  const t = fitTemperature(logits, labels, k);
  expect(c.temperature).toBeCloseTo(t, 4);
  const saved = JSON.parse(fs.readFileSync(path.join(runDir, 'calibration.json'), 'utf8')) as { temperature: number; unknown: { threshold: number; keep: number } };
  expect(saved.temperature).toBeCloseTo(c.temperature, 12);
  expect(saved.unknown.keep).toBe(0.8);
  expect(saved.unknown.threshold).toBeCloseTo(keepThreshold(topProbabilities(softmaxWithTemperature(logits, k, t), k), 0.8), 5);
  // "before" is the raw softmax, with its interval around it.
  const raw = calibrationScores(labels, softmaxWithTemperature(logits, k, 1), k);
  for (const key of ['ece', 'nll', 'brier'] as const) {
    expect(c.before[key].value).toBeCloseTo(raw[key], 5);
    expect(c.before[key].lo).toBeLessThanOrEqual(c.before[key].hi);
  }
  expect(result.metrics.ece).toBeCloseTo(raw.ece, 5);
  expect(fs.readFileSync(path.join(runDir, 'reliability.svg'), 'utf8')).toMatch(/^<svg[^>]*>.*Before: ECE .*After temperature scaling: ECE/s);
  // Detection: AUROC of the calibrated top probability over the two groups of images.
  const d = result.metrics.unknown!.detection!;
  expect(d.unknown_images).toBe(7);
  const otherItems = fs.readdirSync(others, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.png')).sort().map((p) => ({ path: p, label: 0 }));
  const otherLogits = await logitsOf(others, otherItems);
  const auroc = rocAuc(topProbabilities(softmaxWithTemperature(logits, k, t), k), topProbabilities(softmaxWithTemperature(otherLogits, k, t), k));
  expect(d.auroc.value).toBeCloseTo(auroc, 5);
  expect(d.auroc.lo).toBeLessThanOrEqual(d.auroc.hi);
});

test('on a leave-artists-out run, evaluate measures detection on the left-out classes recorded in split.json', async () => {
  const leaveOut = path.join(tmp.dir, 'leave-out');
  const unknown = [0, 1, 2, 3].map((i) => ({ path: `Delta/d_${i}.png`, label: 0 }));
  for (const [i, it] of unknown.entries()) await writeImage(path.join(split.root, it.path), 30 + i, 20, [220, 220, 40]);
  await makeRun(leaveOut, { ...split, unknown_classes: ['Delta'], unknown }, { resize: 'stretch', seed: 4 });
  const result = await evaluateRun(leaveOut, { bootstrap: 20, progress: false });
  const d = result.metrics.unknown!.detection!;
  expect(d).toMatchObject({ source: 'left-out classes: Delta', unknown_images: 4, known_images: split.val.length });
  const k = split.classes.length;
  const t = result.metrics.calibration!.temperature;
  const scores = (z: Float32Array): Float64Array => topProbabilities(softmaxWithTemperature(z, k, t), k);
  expect(d.auroc.value).toBeCloseTo(rocAuc(scores(await logitsOf(split.root, split.val, leaveOut)), scores(await logitsOf(split.root, unknown, leaveOut))), 5);
  expect(d.false_acceptance_rate.value).toBeCloseTo(Array.from(scores(await logitsOf(split.root, unknown, leaveOut))).filter((s) => s >= result.metrics.unknown!.threshold).length / 4, 12);
});

test('evaluate warns when the split was made without the near-duplicate check, and only then', async () => {
  const checked = path.join(tmp.dir, 'checked');
  await makeRun(checked, { ...split, near_duplicates: { method: 'dct-phash-64', threshold: 10, groups: [] } }, { resize: 'stretch', seed: 4 });
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
  try {
    await evaluateRun(runDir, { bootstrap: 10, progress: false });
    expect(written.join('')).toMatch(/split\.json: made without the near-duplicate check/);
    written.length = 0;
    await evaluateRun(checked, { bootstrap: 10, progress: false });
    expect(written.join('')).not.toMatch(/near-duplicate/);
  } finally {
    spy.mockRestore();
  }
});

test('--keep-known outside (0, 1] is a one-line error', async () => {
  const r = await runTim(['evaluate', '--run', runDir, '--keep-known', '1.5']);
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toEqual(['tim: --keep-known: expected a share in (0, 1], got 1.5']);
});

test('predict applies the saved temperature, says "not confidently" below the threshold, and --uncalibrated shows the raw softmax', async () => {
  const file = path.join(split.root, split.val[0]!.path);
  fs.writeFileSync(path.join(runDir, 'calibration.json'), JSON.stringify({ temperature: 2.5, unknown: { score: 'calibrated_top_probability', threshold: 0.999, keep: 0.95 }, fitted_on: { split: 'val', images: 8 }, written_at: '2026-12-06T00:00:00.000Z' }));
  const run = await loadRunForInference(runDir);
  const before = tf.memory().numTensors;
  const [calibrated] = await predictImages(run, [file]);
  const [raw] = await predictImages(run, [file], { uncalibrated: true });
  expect(tf.memory().numTensors).toBe(before);
  disposeRun(run);
  const z = await logitsOf(split.root, [split.val[0]!]);
  const want = softmaxWithTemperature(z, 3, 2.5);
  expect(calibrated!.confidence).toBeCloseTo(Math.max(...want), 5);
  expect(raw!.confidence).toBeCloseTo(Math.max(...softmaxWithTemperature(z, 3, 1)), 5);
  expect(calibrated!.unknown).toMatchObject({ decision: 'not_confident', calibrated: true, temperature: 2.5, threshold: 0.999 });
  expect(raw!.unknown).toMatchObject({ decision: 'not_confident', calibrated: false, temperature: 1 });
  expect(calibrated!.unknown.energy).toBeCloseTo(-2.5 * Math.log(Array.from(z).reduce((a, v) => a + Math.exp(v / 2.5), 0)), 5);

  const text = await timOk(['predict', '--run', runDir, file, '--backend', 'cpu']);
  expect(text.stdout).toMatch(/not confidently one of the 3 artists \(closest: .+, \d+\.\d%\)/);
  // --json prints these predictions as they are: the score and the decision travel with each.
  expect(calibrated!.unknown.score).toBeCloseTo(Math.max(...want), 5);

  // A run without calibration.json keeps working: the raw softmax, and it says so.
  fs.rmSync(path.join(runDir, 'calibration.json'));
  const plain = await timOk(['predict', '--run', runDir, file, '--backend', 'cpu']);
  expect(plain.stdout).not.toMatch(/not confidently/);
  expect(plain.stdout).toMatch(/no calibration\.json: these are the raw softmax/);
});
