import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { TimError } from '../../../src/core/errors';
import { contentBoxOf, imageToInput, prepareImage, preprocessSpecOf, roundHalfEven } from '../../../src/data';
import { parseConfig } from '../../../src/config/load';
import { LETTERBOX_CASES, letterboxOutputName, letterboxPixels } from '../../support/goldens/cases/pillow-letterbox';
import { loadGolden } from '../../support/goldens/golden';
import { tmpDir } from '../../support/tmp';
import { noiseRgb, solidRgb, writeImage, writeNoise } from './images';

// Decoding shares 2 cores with the rest of the suite.
jest.setTimeout(30_000);

/** Bounding box of the pixels that are not pure black. */
function nonBlackBox(data: Uint8Array, size: number): { x: number; y: number; width: number; height: number } {
  let x0 = size, y0 = size, x1 = -1, y1 = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      if ((data[i] ?? 0) + (data[i + 1] ?? 0) + (data[i + 2] ?? 0) > 0) {
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      }
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

describe('letterbox geometry', () => {
  it('rounds halves to even like Python', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });

  it.each(LETTERBOX_CASES)('a %ix%i picture at %i px lands where Pillow ImageOps.pad puts it', async (w, h, size) => {
    const pillow = loadGolden('pillow-letterbox');
    const { dir, cleanup } = tmpDir();
    try {
      // The same pixels Pillow was given (as a PPM), here as a PNG.
      const src = path.join(dir, 'in.png');
      await writeImage(src, letterboxPixels(w, h), w, h, 'png');
      const pil = new Uint8Array(pillow.read(letterboxOutputName(w, h, size)));
      const ours = await prepareImage(src, { image_size: size, resize: 'letterbox' });
      expect(ours.data.length).toBe(size * size * 3);
      expect(nonBlackBox(pil, size)).toEqual(ours.box);
      expect(nonBlackBox(ours.data, size)).toEqual(ours.box);
      expect(contentBoxOf(w, h, size, 'letterbox')).toEqual(ours.box);
      let diff = 0;
      for (let i = 0; i < pil.length; i++) diff += Math.abs((pil[i] ?? 0) - (ours.data[i] ?? 0));
      const contentValues = ours.box.width * ours.box.height * 3;
      expect(diff / contentValues).toBeLessThan(6);
    } finally {
      cleanup();
    }
  });

  it('stretch fills the square', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const src = path.join(dir, 'wide.png');
      await writeNoise(src, 50, 10);
      const p = await prepareImage(src, { image_size: 16, resize: 'stretch' });
      expect(p.box).toEqual({ x: 0, y: 0, width: 16, height: 16 });
      expect(nonBlackBox(p.data, 16)).toEqual(p.box);
    } finally {
      cleanup();
    }
  });
});

describe('prepareImage colour handling', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => ({ dir, cleanup } = tmpDir()));
  afterAll(() => cleanup());
  const spec = { image_size: 8, resize: 'letterbox' as const };

  it('applies the EXIF orientation', async () => {
    const file = path.join(dir, 'rotated.jpg');
    // Stored 40 wide and 20 high; orientation 6 means the camera was turned: shown 20x40.
    await sharp(noiseRgb(40, 20, 'o'), { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(file);
    const p = await prepareImage(file, spec);
    expect(p.box).toEqual({ x: 2, y: 0, width: 4, height: 8 });
  });

  it('turns grayscale, 16-bit, CMYK and alpha images into 8-bit sRGB RGB', async () => {
    const gray = path.join(dir, 'gray.png');
    await sharp(Buffer.alloc(64, 100), { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(gray);
    const g = await prepareImage(gray, spec);
    expect(g.data.length).toBe(8 * 8 * 3);
    expect([...g.data.subarray(0, 3)]).toEqual([100, 100, 100]);

    const deep = path.join(dir, 'deep.png');
    const words = new Uint16Array(8 * 8 * 3).fill(0x8080);
    await sharp(Buffer.from(words.buffer), { raw: { width: 8, height: 8, channels: 3 } as never })
      .toColourspace('rgb16')
      .png()
      .toFile(deep);
    const d = await prepareImage(deep, spec);
    expect(Math.abs((d.data[0] ?? 0) - 128)).toBeLessThanOrEqual(1);

    const cmyk = path.join(dir, 'cmyk.jpg');
    await sharp(solidRgb(8, 8, [200, 60, 40]), { raw: { width: 8, height: 8, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toFile(cmyk);
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const c = await prepareImage(cmyk, spec);
    expect(c.data.length).toBe(8 * 8 * 3);
    expect(c.data[0]).toBeGreaterThan(150);
    expect(c.data[1]).toBeLessThan(110);
    expect(c.data[2]).toBeLessThan(100);

    const rgba = path.join(dir, 'alpha.png');
    const px = Buffer.alloc(8 * 8 * 4);
    for (let i = 0; i < 64; i++) px.set([10, 200, 30, i % 2 ? 0 : 255], i * 4);
    await sharp(px, { raw: { width: 8, height: 8, channels: 4 } }).png().toFile(rgba);
    const a = await prepareImage(rgba, spec);
    expect([...a.data.subarray(0, 3)]).toEqual([10, 200, 30]);
  });

  it('names the file it cannot decode', async () => {
    const bad = path.join(dir, 'bad.jpg');
    fs.writeFileSync(bad, 'not an image');
    await expect(prepareImage(bad, spec)).rejects.toThrow(TimError);
    await expect(prepareImage(bad, spec)).rejects.toThrow(/bad\.jpg/);
  });
});

describe('imageToInput', () => {
  it('normalises with the config mean and std and leaks no tensor', async () => {
    const { dir, cleanup } = tmpDir();
    try {
      const file = path.join(dir, 'flat.png');
      await writeImage(file, solidRgb(16, 16, [51, 102, 204]), 16, 16);
      const config = parseConfig({ name: 't', data: { root: dir, image_size: 16 }, model: { arch: 'tiny_cnn' } });
      const spec = preprocessSpecOf(config);
      expect(spec).toEqual({ image_size: 16, resize: 'letterbox', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
      const before = tf.memory().numTensors;
      const { x, box } = await imageToInput(file, spec);
      expect(x.shape).toEqual([1, 16, 16, 3]);
      expect(box).toEqual({ x: 0, y: 0, width: 16, height: 16 });
      const v = x.dataSync();
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(v[0]).toBeCloseTo((51 / 255 - 0.485) / 0.229, 5);
      expect(v[1]).toBeCloseTo((102 / 255 - 0.456) / 0.224, 5);
      expect(v[2]).toBeCloseTo((204 / 255 - 0.406) / 0.225, 5);
    } finally {
      cleanup();
    }
  });
});
