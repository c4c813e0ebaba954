import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { createLoader, type DatasetItem, imageToInput, type PreprocessSpec } from '../../../src/data';
import { tmpDir } from '../../support/tmp';
import { writeNoise } from './images';

// Decoding shares 2 cores with the rest of the suite.
jest.setTimeout(30_000);

const spec: PreprocessSpec = { image_size: 16, resize: 'letterbox', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const OFF = { hflip: 0, rotate_degrees: 0, color_jitter: [0, 0, 0] as [number, number, number] };
const PIXELS = 16 * 16 * 3;

let root: string;
let cleanup: () => void;
let items: DatasetItem[];
const plain = new Map<string, Float32Array>();

beforeAll(async () => {
  ({ dir: root, cleanup } = tmpDir());
  items = [];
  for (let i = 0; i < 6; i++) {
    const p = `${i % 3}/img${i}.png`;
    await writeNoise(path.join(root, p), 16 + i, 14 + i, 'png', `aug${i}`);
    items.push({ path: p, label: i % 3 });
    const { x } = await imageToInput(path.join(root, p), spec);
    plain.set(p, x.dataSync() as Float32Array);
    x.dispose();
  }
});
afterAll(() => cleanup());

interface Seen {
  x: Float32Array;
  y: number[];
  q?: Float32Array;
  paths: string[];
}

async function epochOf(options: Partial<Parameters<typeof createLoader>[0]>, epoch = 0): Promise<Seen[]> {
  const loader = await createLoader({ root, items, spec, batchSize: 6, shuffle: true, seed: 3, augment: OFF, ...options });
  const out: Seen[] = [];
  for await (const b of loader.batches(epoch)) {
    out.push({ x: b.x.dataSync() as Float32Array, y: Array.from(b.y.dataSync()), ...(b.targets ? { q: b.targets.dataSync() as Float32Array } : {}), paths: b.paths });
    tf.dispose([b.x, b.y, ...(b.targets ? [b.targets] : [])]);
  }
  loader.dispose();
  return out;
}

const imageOf = (x: Float32Array, i: number): Float32Array => x.subarray(i * PIXELS, (i + 1) * PIXELS);
function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}
/** One grey level in normalised units (the smallest std). */
const GREY = 1 / 255 / 0.224;

describe('RandomResizedCrop and the policies in the loader', () => {
  it('a crop of the whole image at ratio 1 leaves the pixels as they were', async () => {
    const [batch] = await epochOf({ augment: { ...OFF, random_resized_crop: { scale: [1, 1], ratio: [1, 1] } } });
    batch?.paths.forEach((p, i) => expect(maxDiff(imageOf(batch.x, i), plain.get(p) ?? new Float32Array())).toBeLessThan(1e-6));
  });

  it('crops and transforms as a pure function of seed and epoch', async () => {
    const augment = { ...OFF, random_resized_crop: { scale: [0.2, 0.6] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] }, policy: 'trivialaugment' };
    const before = tf.memory().numTensors;
    const [a] = await epochOf({ augment });
    const [b] = await epochOf({ augment });
    const [c] = await epochOf({ augment }, 1);
    expect(tf.memory().numTensors).toBe(before);
    expect(a?.x).toEqual(b?.x);
    expect(maxDiff(a?.x ?? new Float32Array(), c?.x ?? new Float32Array())).toBeGreaterThan(0.5);
    a?.paths.forEach((p, i) => expect(maxDiff(imageOf(a.x, i), plain.get(p) ?? new Float32Array())).toBeGreaterThan(GREY));
  });
});

describe.each(['pixels', 'tensors'] as const)('mixup in the loader (augmenting %s)', (augmentOn) => {
  it('mixes each image with the mirrored one by the λ its soft target carries', async () => {
    const mixup = { settings: { alpha: 1, cutmix_alpha: 0, prob: 1, switch_prob: 0.5, label_smoothing: 0 }, numClasses: 3 };
    const before = tf.memory().numTensors;
    const [batch] = await epochOf({ mixup, augmentOn });
    expect(tf.memory().numTensors).toBe(before);
    if (!batch?.q) throw new Error('no soft targets');
    const n = batch.y.length;
    let checked = 0;
    for (let i = 0; i < n; i++) {
      const row = Array.from(batch.q.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
      const own = batch.y[i] ?? 0;
      const other = batch.y[n - 1 - i] ?? 0;
      if (own === other) continue;
      const lam = row[own] ?? NaN;
      expect(lam + (row[other] ?? NaN)).toBeCloseTo(1, 6);
      const mine = plain.get(batch.paths[i] ?? '') ?? new Float32Array();
      const theirs = plain.get(batch.paths[n - 1 - i] ?? '') ?? new Float32Array();
      const want = mine.map((v, k) => lam * v + (1 - lam) * (theirs[k] ?? 0));
      expect(maxDiff(imageOf(batch.x, i), want)).toBeLessThan(1e-4);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('hands out no soft targets without mixup', async () => {
    const [batch] = await epochOf({});
    expect(batch?.q).toBeUndefined();
  });
});
