import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { CamExplainer } from '../../../src/explain/cam';
import { explainImage, explainImages } from '../../../src/explain/explain-image';
import { faithfulness, FAITHFULNESS_FILE } from '../../../src/explain/faithfulness';
import { renderOverlayPng } from '../../../src/explain/overlay';
import { predictImages } from '../../../src/inference/predict';
import { disposeRun, loadRunForInference, type InferenceRun } from '../../../src/inference/inference-run';
import type { TimModel } from '../../../src/models';
import { setLogLevel } from '../../../src/core/log';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { tmpDir } from '../../support/tmp';
import { MOTIF_CLASSES, motifImages, toBatch, trainMotifModel, writeMotifPngs, writeMotifRun, type MotifImage } from './motif-task';

/**
 * The key check of the explanations: on a task whose class is decided only by a coloured
 * square at a random place, a faithful heat map must put its mass on the square.
 */
const SIZE = 48;
const MOTIF = 10;
const AREA_SHARE = (MOTIF * MOTIF) / (SIZE * SIZE);

let tm: TimModel;
let heldOut: MotifImage[];
const tmp = tmpDir('tim-explain-motif-');

beforeAll(async () => {
  setLogLevel('quiet');
  // wasm with Tim's gradient kernels trains this in seconds; the cpu backend is the fallback.
  const wasm = loadWasmForTraining();
  await tf.setBackend(wasm ? 'wasm' : 'cpu');
  await tf.ready();
  tm = trainMotifModel(motifImages(240, SIZE, MOTIF, 1), SIZE, { epochs: 3, batch: 32, lr: 3e-3, seed: 2 });
  heldOut = motifImages(30, SIZE, MOTIF, 99);
}, 180_000);

afterAll(() => {
  tm.model.dispose();
  tmp.cleanup();
});

/** Share of a map's total mass inside a square (map row-major, `width` wide). */
function massShare(map: ArrayLike<number>, width: number, height: number, sq: { x: number; y: number; size: number }, scale = 1): number {
  let total = 0;
  let inside = 0;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const v = map[r * width + c] ?? 0;
      total += v;
      const x = (c + 0.5) * scale;
      const y = (r + 0.5) * scale;
      if (x >= sq.x && x < sq.x + sq.size && y >= sq.y && y < sq.y + sq.size) inside += v;
    }
  }
  return total > 0 ? inside / total : 0;
}

describe('CAMs on a motif task', () => {
  it('the trained model solves the task (otherwise the localisation checks mean nothing)', () => {
    const acc = tf.tidy(() => {
      const pred = tf.argMax(tm.model.predict(toBatch(heldOut, SIZE)) as tf.Tensor2D, 1).dataSync();
      return heldOut.filter((im, i) => pred[i] === im.label).length / heldOut.length;
    });
    expect(acc).toBeGreaterThanOrEqual(0.9);
  });

  it.each(['gradcam', 'gradcampp', 'hirescam', 'scorecam'])('%s puts the heat map mass on the motif for most held-out images', (method) => {
    const cam = new CamExplainer(tm.model, tm.spec.camTargetLayer);
    const x = toBatch(heldOut, SIZE);
    const before = tf.memory().numTensors;
    const { maps, logits } = cam.compute(x, heldOut.map(() => undefined), method);
    const values = maps.dataSync();
    tf.dispose([maps, logits]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    const shares = heldOut.map((im, i) => massShare(values.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE), SIZE, SIZE, im.box));
    const onMotif = shares.filter((s) => s > 2 * AREA_SHARE).length / shares.length;
    expect(onMotif).toBeGreaterThanOrEqual(0.7);
  });
});

describe('explaining a run folder', () => {
  let run: InferenceRun;
  let files: string[];
  const runDir = path.join(tmp.dir, 'run');
  const root = path.join(tmp.dir, 'data');

  beforeAll(async () => {
    const rel = await writeMotifPngs(root, heldOut, SIZE, 'val');
    files = rel.map((r) => path.join(root, r));
    await writeMotifRun(runDir, tm, { root, size: SIZE, val: rel.map((p, i) => ({ path: p, label: (heldOut[i] as MotifImage).label })) });
    run = await loadRunForInference(runDir);
  }, 60_000);

  afterAll(() => disposeRun(run));

  it('reads the preprocessing from the run config', () => {
    expect(run.spec).toEqual({ image_size: SIZE, resize: 'letterbox', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(run.labels).toEqual(MOTIF_CLASSES);
  });

  it('predictImages ranks the motif colour first, in batches, without leaking tensors', async () => {
    await predictImages(run, files.slice(0, 2));
    const before = tf.memory().numTensors;
    const preds = await predictImages(run, files, { batchSize: 7 });
    expect(tf.memory().numTensors).toBe(before);
    expect(preds.map((p) => p.file)).toEqual(files);
    for (const p of preds) {
      expect(p.top).toHaveLength(3);
      expect(p.top[0]).toEqual({ label: p.label, confidence: p.confidence });
      expect(p.top.reduce((s, t) => s + t.confidence, 0)).toBeCloseTo(1, 4);
    }
    const correct = preds.filter((p, i) => p.label === MOTIF_CLASSES[(heldOut[i] as MotifImage).label]).length;
    expect(correct / preds.length).toBeGreaterThanOrEqual(0.9);
  });

  it('explainImage: the JSON heat map covers the picture and its mass lies on the motif', async () => {
    await explainImage(run, files[0] as string);
    const before = tf.memory().numTensors;
    const all = await explainImages(run, files, { heatmapSize: 24 });
    expect(tf.memory().numTensors).toBe(before);
    const shares = all.map((e, i) => {
      expect(e.heatmap).toHaveLength(24);
      expect(e.heatmap.every((row) => row.length === 24 && row.every((v) => v >= 0 && v <= 1))).toBe(true);
      return massShare(e.heatmap.flat(), 24, 24, (heldOut[i] as MotifImage).box, SIZE / 24);
    });
    expect(shares.filter((s) => s > 2 * AREA_SHARE).length / shares.length).toBeGreaterThanOrEqual(0.7);
  });

  it('explains a named class other than the predicted one', async () => {
    const file = files[0] as string;
    const predicted = await explainImage(run, file);
    const other = MOTIF_CLASSES.find((c) => c !== predicted.label) as string;
    const e = await explainImage(run, file, { className: other.toUpperCase(), method: 'hirescam' });
    expect(e.label).toBe(predicted.label);
    expect(e.explained.label).toBe(other);
    expect(e.explained.confidence).toBeLessThan(e.confidence);
    await expect(explainImage(run, file, { className: 'gren' })).rejects.toThrow(/unknown class 'gren'.*closest: 'green'/);
  });

  it('renders the original and the overlay side by side', async () => {
    const file = files[0] as string;
    const e = await explainImage(run, file);
    const png = await renderOverlayPng(file, e, { panelSize: 200 });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThanOrEqual(2 * 200);
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    // Find the two panels by their rows: the left one is the picture itself, the right one differs.
    const mid = Math.floor(info.height / 2);
    const rowAt = (x: number): number[] => Array.from(data.subarray((mid * info.width + x) * 3, (mid * info.width + x) * 3 + 3));
    const left = Math.round((info.width - (2 * 200 + 20)) / 2);
    expect(rowAt(left + 100)).not.toEqual(rowAt(left + 220 + 100));
  });

  it('faithfulness: removing the most highlighted pixels costs far more confidence than the least', async () => {
    const before = tf.memory().numTensors;
    const report = await faithfulness(run, { methods: ['gradcam', 'hirescam'], limit: 12, batchSize: 6 });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.images).toBe(12);
    for (const m of report.methods) {
      expect(m.drop_most).toBeGreaterThan(m.drop_least + 0.2);
      expect(m.most_beats_least).toBeGreaterThanOrEqual(0.7);
    }
    expect(report.methods[0]?.drop_most ?? 0).toBeGreaterThan(report.random_drop);
    const written = JSON.parse(fs.readFileSync(path.join(runDir, FAITHFULNESS_FILE), 'utf8')) as typeof report;
    expect(written.methods.map((m) => m.method)).toEqual(['gradcam', 'hirescam']);
  });
});
