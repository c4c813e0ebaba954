import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { configToYaml, parseConfig } from '../../../src/config/load';
import { TimError } from '../../../src/core/errors';
import { CamExplainer } from '../../../src/explain/cam';
import { explainImage } from '../../../src/explain/explain-image';
import { predictImages } from '../../../src/inference/predict';
import { atImageSize, disposeRun, loadRunForInference, type InferenceRun } from '../../../src/inference/inference-run';
import { createModel, saveTimModel } from '../../../src/models';
import { loadWasmForTraining } from '../../../packages/tfjs-training/test/support/wasm';
import { tmpDir } from '../../support/tmp';

const BIN = path.resolve(__dirname, '../../../bin/tim.js');
const LABELS = ['Claude_Monet', 'Paul_Gauguin', 'Vincent_van_Gogh'];
const tmp = tmpDir('tim-explain-inference-');
const runDir = path.join(tmp.dir, 'run');
const images = path.join(tmp.dir, 'images');
const wide = path.join(images, 'wide.png');
const tall = path.join(images, 'tall.jpg');
const empty = path.join(tmp.dir, 'empty.jpg');
const truncated = path.join(tmp.dir, 'truncated.png');
const text = path.join(tmp.dir, 'notes.png');
let run: InferenceRun;

function noise(width: number, height: number, seed: number): ReturnType<typeof sharp> {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) % 2147483648) % 256;
  return sharp(data, { raw: { width, height, channels: 3 } });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  const tm = createModel('tiny_cnn', { numClasses: LABELS.length, inputSize: 32, seed: 3 });
  fs.mkdirSync(runDir, { recursive: true });
  const config = parseConfig({ name: 'tiny', data: { root: images, image_size: 32, resize: 'letterbox' }, model: { arch: 'tiny_cnn' }, runtime: { backend: 'cpu' } });
  fs.writeFileSync(path.join(runDir, 'config.yaml'), configToYaml(config));
  fs.writeFileSync(path.join(runDir, 'labels.json'), JSON.stringify(LABELS));
  await saveTimModel(tm, path.join(runDir, 'best'));
  tm.model.dispose();
  fs.mkdirSync(images, { recursive: true });
  await noise(80, 40, 1).png().toFile(wide);
  await noise(30, 60, 2).jpeg().toFile(tall);
  fs.writeFileSync(empty, '');
  fs.writeFileSync(truncated, fs.readFileSync(wide).subarray(0, 60));
  fs.writeFileSync(text, 'not a picture\n');
  run = await loadRunForInference(runDir);
}, 60_000);

afterAll(() => {
  disposeRun(run);
  tmp.cleanup();
});

describe('bad images', () => {
  it.each([
    ['an empty file', empty],
    ['a truncated PNG', truncated],
    ['a text file', text],
    ['a missing file', path.join(tmp.dir, 'missing.jpg')],
  ])('%s is a TimError naming the file', async (_what, file) => {
    const err = await predictImages(run, [wide, file]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).not.toContain('\n');
    await expect(explainImage(run, file)).rejects.toThrow(file);
  });

  it('with onBadImage, bad images are reported and skipped without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const bad: string[] = [];
    const preds = await predictImages(run, [empty, wide, text, tall], { batchSize: 2, onBadImage: (f) => bad.push(f) });
    expect(preds.map((p) => p.file)).toEqual([wide, tall]);
    expect(bad).toEqual([empty, text]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('loading a run', () => {
  it('refuses labels that do not match the model', async () => {
    const other = path.join(tmp.dir, 'mismatch');
    fs.cpSync(runDir, other, { recursive: true });
    fs.writeFileSync(path.join(other, 'labels.json'), JSON.stringify(['a', 'b']));
    await expect(loadRunForInference(other)).rejects.toThrow(/2 class names but .* outputs 3 classes/);
  });
});

describe('explainImage geometry', () => {
  it('the heat map covers the letterboxed picture only, with its aspect ratio', async () => {
    const e = await explainImage(run, wide, { heatmapSize: 20 });
    expect(e.box.height).toBeLessThan(e.box.width);
    expect(e.box.y).toBeGreaterThan(0);
    expect(e.heatmap).toHaveLength(10);
    expect(e.heatmap[0]).toHaveLength(20);
    expect([e.contentMap.width, e.contentMap.height]).toEqual([e.box.width, e.box.height]);
    const t = await explainImage(run, tall, { heatmapSize: 20 });
    expect(t.heatmap).toHaveLength(20);
    expect(t.heatmap[0]).toHaveLength(10);
  });

  it('at a larger image size the map is finer over the same picture area', async () => {
    const before = tf.memory().numTensors;
    const at32 = await explainImage(run, wide, { heatmapSize: 64 });
    const at64 = await explainImage(atImageSize(run, 64), wide, { heatmapSize: 64 });
    expect(tf.memory().numTensors).toBe(before);
    expect([at32.imageSize, at64.imageSize]).toEqual([32, 64]);
    expect(at64.box.width).toBe(2 * at32.box.width);
    expect(at64.contentMap.width).toBe(2 * at32.contentMap.width);
    // tiny_cnn downsamples by 8: 4×4 feature cells at 32 px, 8×8 at 64 px, so more distinct values.
    const distinct = (m: number[][]) => new Set(m.flat().map((v) => v.toFixed(4))).size;
    expect(distinct(at64.heatmap)).toBeGreaterThan(distinct(at32.heatmap));
  });

  it('an unknown target layer lists the usable ones', async () => {
    await expect(explainImage(run, wide, { targetLayer: 'features.9' })).rejects.toThrow(/features\.3\.act/);
  });
});

describe('backends', () => {
  it('the CAM is the same on the cpu and wasm backends', async () => {
    const x = tf.randomUniform<tf.Rank.R4>([2, 32, 32, 3], -2, 2, 'float32', 5);
    const values = x.arraySync();
    x.dispose();
    const maps: Record<string, Float32Array> = {};
    expect(loadWasmForTraining()).toBe(true);
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      const tm = createModel('tiny_cnn', { numClasses: 3, inputSize: 32, seed: 4 });
      const input = tf.tensor4d(values);
      const before = tf.memory().numTensors;
      const { maps: m, logits } = new CamExplainer(tm.model, 'features.3.act').compute(input, [1, 2], 'gradcampp');
      maps[backend] = m.dataSync() as Float32Array;
      tf.dispose([m, logits]);
      expect(tf.memory().numTensors).toBe(before);
      input.dispose();
      tm.model.dispose();
    }
    await tf.setBackend('cpu');
    const diff = Math.max(...Array.from(maps.cpu ?? [], (v, i) => Math.abs(v - (maps.wasm?.[i] ?? NaN))));
    expect(diff).toBeLessThan(1e-3);
  });
});

describe('command line', () => {
  const tim = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--quiet'], { encoding: 'utf8', env: { ...process.env, CI: '1' } });

  it('predict prints top-3 per good image and one line per bad one, exiting non-zero', () => {
    const r = tim('predict', '--run', runDir, wide, text, tall, '--json');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as Array<{ file: string; top: unknown[] }>;
    expect(out.map((p) => p.file)).toEqual([wide, tall]);
    expect(out.every((p) => p.top.length === 3)).toBe(true);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining(text)]);
  });

  it('explain with an unknown class is a one-line error listing close names', () => {
    const r = tim('explain', '--run', runDir, '--image', wide, '--class', 'van gog', '--out', path.join(tmp.dir, 'x.png'));
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown class 'van gog'.*'Vincent_van_Gogh'/);
    expect(fs.existsSync(path.join(tmp.dir, 'x.png'))).toBe(false);
  });

  it('explain --image-size feeds the model at another size', () => {
    const r = tim('explain', '--run', runDir, '--image', wide, '--json', '--image-size', '48');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ top: expect.any(Array) });
    const bad = tim('explain', '--run', runDir, '--image', wide, '--json', '--image-size', '7');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--image-size: expected a whole number of pixels from 32 to 2048, got 7/);
  });

  it('explain --image DIR writes one overlay per image and prints the maps as JSON', () => {
    const out = path.join(tmp.dir, 'overlays');
    const r = tim('explain', '--run', runDir, '--image', images, '--out', out, '--json', '--method', 'hirescam');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as Array<{ label: string; confidence: number; top: unknown[]; heatmap: number[][]; method: string }>;
    expect(json).toHaveLength(2);
    for (const e of json) {
      expect(LABELS).toContain(e.label);
      expect(e.top).toHaveLength(3);
      expect(e.method).toBe('hirescam');
      expect(e.heatmap.flat().every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect(fs.readdirSync(out).sort()).toEqual(['.tim-output.json', 'tall.png', 'wide.png']);
  });

  it('explain --image DIR picks images by their content, not their names', () => {
    const mixed = path.join(tmp.dir, 'mixed');
    fs.mkdirSync(mixed);
    fs.copyFileSync(wide, path.join(mixed, 'scan.data'));
    fs.copyFileSync(tall, path.join(mixed, 'PHOTO'));
    fs.writeFileSync(path.join(mixed, 'notes.jpg'), 'not a picture\n');
    const r = tim('explain', '--run', runDir, '--image', mixed, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(2);
    const none = path.join(tmp.dir, 'no-images');
    fs.mkdirSync(none);
    fs.writeFileSync(path.join(none, 'a.png'), 'text\n');
    const refused = tim('explain', '--run', runDir, '--image', none, '--json');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/no-images: no images \(jpeg, png, webp, tiff, gif, recognised by their content\)/);
  });
});
