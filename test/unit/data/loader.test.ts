import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { createLoader, DataCache, imageToInput, type Batch, type DatasetItem, type Loader, type PreprocessSpec } from '../../../src/data';
import { defaultAugmentPlace } from '../../../src/data/loader';
import { tmpDir } from '../../support/tmp';
import { writeNoise } from './images';

// Decoding and reference scripts share 2 cores with the rest of the suite.
jest.setTimeout(30_000);

const spec: PreprocessSpec = { image_size: 16, resize: 'letterbox', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const OFF = { hflip: 0, rotate_degrees: 0, color_jitter: [0, 0, 0] as [number, number, number] };

let root: string;
let cleanup: () => void;
let items: DatasetItem[];
/** Each image as imageToInput gives it: the reference for "not augmented". */
const plain = new Map<string, Float32Array>();

beforeAll(async () => {
  ({ dir: root, cleanup } = tmpDir());
  items = [];
  for (let i = 0; i < 10; i++) {
    const label = i % 2;
    const p = `${label ? 'b' : 'a'}/img${i}.${i % 3 ? 'png' : 'jpg'}`;
    await writeNoise(path.join(root, p), 18 + i, 14 + (i % 4) * 3, i % 3 ? 'png' : 'jpeg', `img${i}`);
    items.push({ path: p, label });
    const { x } = await imageToInput(path.join(root, p), spec);
    plain.set(p, x.dataSync() as Float32Array);
    x.dispose();
  }
});
afterAll(() => cleanup());

async function collect(loader: Loader, epoch: number): Promise<Array<{ x: Float32Array; y: number[]; paths: string[] }>> {
  const out = [];
  for await (const b of loader.batches(epoch)) {
    out.push({ x: b.x.dataSync() as Float32Array, y: Array.from(b.y.dataSync()), paths: b.paths });
    tf.dispose([b.x, b.y]);
  }
  return out;
}

const PIXELS = 16 * 16 * 3;
function imageOf(batch: { x: Float32Array }, i: number): Float32Array {
  return batch.x.subarray(i * PIXELS, (i + 1) * PIXELS);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

describe.each([false, true])('createLoader (cache: %s)', (cache) => {
  const base = (): Parameters<typeof createLoader>[0] => ({
    root, items, spec, batchSize: 4, shuffle: true, seed: 5, cache, cacheDir: path.join(root, '.tim-cache'),
  });

  it('says how long each batch was waited for and how long it took to prepare', async () => {
    const loader = await createLoader({ ...base(), augment: { hflip: 0.5, rotate_degrees: 10, color_jitter: [0.1, 0.1, 0.1] } });
    const times: Array<[number | undefined, number | undefined]> = [];
    for await (const b of loader.batches(0)) {
      times.push([b.waitSeconds, b.prepareSeconds]);
      tf.dispose([b.x, b.y]);
    }
    loader.dispose();
    expect(times).toHaveLength(3);
    for (const [wait, prepare] of times) {
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(prepare).toBeGreaterThan(0);
    }
  });

  it('hands out every image once per epoch, unaugmented, in a seeded order', async () => {
    const loader = await createLoader(base());
    expect(loader.size).toBe(10);
    expect(loader.numBatches).toBe(3);
    const e1 = await collect(loader, 1);
    expect(e1.map((b) => b.paths.length)).toEqual([4, 4, 2]);
    const seen = e1.flatMap((b) => b.paths);
    expect([...seen].sort()).toEqual(items.map((i) => i.path).sort());
    for (const b of e1) {
      b.paths.forEach((p, i) => {
        expect(b.y[i]).toBe(items.find((it) => it.path === p)?.label);
        expect(maxDiff(imageOf(b, i), plain.get(p)!)).toBeLessThan(1e-5);
      });
    }
    const e2 = await collect(loader, 2);
    expect(e2.flatMap((b) => b.paths)).not.toEqual(seen);
    const again = await collect(await createLoader(base()), 1);
    expect(again.flatMap((b) => b.paths)).toEqual(seen);
    loader.dispose();
  });

  it('keeps the listed order without shuffling and stops at maxBatches', async () => {
    const loader = await createLoader({ ...base(), shuffle: false, maxBatches: 2 });
    expect(loader.numBatches).toBe(2);
    const e = await collect(loader, 0);
    expect(e.flatMap((b) => b.paths)).toEqual(items.slice(0, 8).map((i) => i.path));
    loader.dispose();
  });
});

describe('augmentation in the loader', () => {
  const run = async (augment?: typeof OFF, epoch = 0, seed = 5) => {
    const loader = await createLoader({ root, items, spec, batchSize: 10, shuffle: false, seed, augment });
    const [b] = await collect(loader, epoch);
    loader.dispose();
    return b!;
  };
  const changed = (b: { x: Float32Array; paths: string[] }): number =>
    b.paths.filter((p, i) => maxDiff(imageOf(b, i), plain.get(p)!) > 1e-4).length;

  it('applies nothing when augment is omitted or all strengths are zero', async () => {
    expect(changed(await run())).toBe(0);
    expect(changed(await run(OFF))).toBe(0);
  });

  it('flips every image with hflip 1', async () => {
    const b = await run({ ...OFF, hflip: 1 });
    b.paths.forEach((p, i) => {
      const want = plain.get(p)!;
      const mirrored = new Float32Array(PIXELS);
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) for (let c = 0; c < 3; c++) {
        mirrored[(y * 16 + x) * 3 + c] = want[(y * 16 + 15 - x) * 3 + c]!;
      }
      expect(maxDiff(imageOf(b, i), mirrored)).toBeLessThan(1e-5);
      expect(maxDiff(imageOf(b, i), want)).toBeGreaterThan(0.1);
    });
  });

  it('rotates with black fill', async () => {
    const b = await run({ ...OFF, rotate_degrees: 45 });
    expect(changed(b)).toBeGreaterThanOrEqual(9);
    const black = -0.485 / 0.229;
    // Images fill the square's top edge (landscape ones after letterboxing only in the middle rows),
    // so count corner pixels that turned black.
    const corners = b.paths.filter((_, i) => Math.abs((imageOf(b, i)[0] ?? 0) - black) < 1e-4).length;
    expect(corners).toBeGreaterThanOrEqual(5);
  });

  it('jitters brightness, contrast and saturation', async () => {
    for (const jitter of [[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.9]] as Array<[number, number, number]>) {
      expect(changed(await run({ ...OFF, color_jitter: jitter }))).toBeGreaterThanOrEqual(9);
    }
  });

  it('is a pure function of seed and epoch', async () => {
    const all = { hflip: 0.5, rotate_degrees: 15, color_jitter: [0.3, 0.3, 0.3] as [number, number, number] };
    const a = await run(all, 3);
    expect(maxDiff((await run(all, 3)).x, a.x)).toBe(0);
    expect(maxDiff((await run(all, 4)).x, a.x)).toBeGreaterThan(0.01);
    expect(maxDiff((await run(all, 3, 6)).x, a.x)).toBeGreaterThan(0.01);
  });
});

describe('loader resources', () => {
  it('reads the next batch while the current one is in use', async () => {
    const loader = await createLoader({ root, items, spec, batchSize: 3, shuffle: false, seed: 1, cache: true, cacheDir: path.join(root, '.tim-cache') });
    const reads = jest.spyOn(DataCache.prototype, 'readInto');
    try {
      const it = loader.batches(0);
      const first = (await it.next()).value as Batch;
      expect(reads).toHaveBeenCalledTimes(2);
      expect(reads.mock.calls[1]?.[0]).toEqual(items.slice(3, 6).map((i) => i.path));
      tf.dispose([first.x, first.y]);
      await it.return(undefined);
    } finally {
      reads.mockRestore();
      loader.dispose();
    }
  });

  it('augments on tensors only where a GPU or native library runs them', () => {
    expect(['cpu', 'wasm', 'webgpu', 'webgl', 'tensorflow'].map(defaultAugmentPlace)).toEqual(['pixels', 'pixels', 'tensors', 'tensors', 'tensors']);
  });

  it('augments the same on tensors as on pixels', async () => {
    const augment = { hflip: 0.5, rotate_degrees: 20, color_jitter: [0.2, 0.2, 0.2] as [number, number, number] };
    const few = items.slice(0, 4);
    const a = await collect(await createLoader({ root, items: few, spec, batchSize: 4, shuffle: false, seed: 2, augment, augmentOn: 'tensors' }), 0);
    const b = await collect(await createLoader({ root, items: few, spec, batchSize: 4, shuffle: false, seed: 2, augment, augmentOn: 'pixels' }), 0);
    expect(maxDiff(a[0]!.x, b[0]!.x)).toBeLessThan(1e-3);
  });

  it('keeps the tensor count constant across epochs', async () => {
    const loader = await createLoader({
      root, items, spec, batchSize: 3, shuffle: true, seed: 1,
      augment: { hflip: 0.5, rotate_degrees: 10, color_jitter: [0.1, 0.1, 0.1] },
    });
    const counts: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      for await (const b of loader.batches(epoch)) tf.dispose([b.x, b.y]);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    // Stopping part-way through an epoch leaves nothing behind either.
    const it = loader.batches(9);
    const first = (await it.next()).value as Batch;
    tf.dispose([first.x, first.y]);
    await it.return(undefined);
    expect(tf.memory().numTensors).toBe(counts[0]);
    loader.dispose();
  });
});
