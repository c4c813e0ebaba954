import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  augmentImages,
  augmentPixels,
  colorJitter,
  drawAugmentParams,
  flipImages,
  rotateImages,
  type JitterOp,
} from '../../../src/data';
import { JITTER_FACTORS, JITTER_ORDER, JITTER_SHAPE, jitterInput } from '../../support/goldens/cases/torchvision-jitter';
import { loadGolden } from '../../support/goldens/golden';

// Image operations share 2 cores with the rest of the suite.
jest.setTimeout(30_000);

function randomImages(n: number, h: number, w: number, seed: string): tf.Tensor4D {
  const rng = seedrandom(seed);
  return tf.tensor4d(Float32Array.from({ length: n * h * w * 3 }, () => rng()), [n, h, w, 3]);
}

function at(x: number[][][][], n: number, y: number, xx: number, c: number): number {
  return x[n]?.[y]?.[xx]?.[c] ?? NaN;
}

describe('augmentation ops', () => {
  it('flips exactly the images whose flag is set', () => {
    const x = randomImages(2, 3, 4, 'f');
    const out = flipImages(x, [true, false]).arraySync();
    const src = x.arraySync();
    for (let y = 0; y < 3; y++) {
      for (let c = 0; c < 4; c++) {
        expect(at(out, 0, y, c, 1)).toBe(at(src, 0, y, 3 - c, 1));
        expect(at(out, 1, y, c, 1)).toBe(at(src, 1, y, c, 1));
      }
    }
    tf.dispose(x);
  });

  it('rotates counter-clockwise about the centre with black outside the picture', () => {
    const x = randomImages(2, 5, 5, 'r');
    const src = x.arraySync();
    const out = rotateImages(x, [90, 0]).arraySync();
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 5; c++) {
        // A quarter turn to the left: what was on the right edge is now on top.
        expect(at(out, 0, r, c, 2)).toBeCloseTo(at(src, 0, c, 4 - r, 2), 4);
        expect(at(out, 1, r, c, 2)).toBeCloseTo(at(src, 1, r, c, 2), 6);
      }
    }
    const big = randomImages(2, 9, 9, 'r9');
    const bigSrc = big.arraySync();
    const tilted = rotateImages(big, [30, -30]).arraySync();
    for (const n of [0, 1]) {
      expect(at(tilted, n, 0, 0, 0)).toBe(0);
      expect(at(tilted, n, 8, 8, 1)).toBe(0);
      expect(at(tilted, n, 4, 4, 0)).toBeCloseTo(at(bigSrc, n, 4, 4, 0), 5);
      expect(at(tilted, n, 4, 6, 0)).not.toBeCloseTo(at(bigSrc, n, 4, 6, 0), 3);
    }
    tf.dispose([x, big]);
  });

  it('adjusts brightness, contrast and saturation as torchvision blends them', () => {
    const x = randomImages(1, 4, 4, 'c');
    const px = x.arraySync()[0]![1]![2]!;
    const gray = (p: number[]): number => 0.2989 * p[0]! + 0.587 * p[1]! + 0.114 * p[2]!;
    const b = adjustBrightness(x, [0.5]).arraySync()[0]![1]![2]!;
    expect(b[0]).toBeCloseTo(px[0]! * 0.5, 5);
    const rows = x.arraySync()[0]!;
    const mean = rows.flat().map(gray).reduce((s, v) => s + v, 0) / 16;
    const c = adjustContrast(x, [0.5]).arraySync()[0]![1]![2]!;
    expect(c[1]).toBeCloseTo(0.5 * px[1]! + 0.5 * mean, 5);
    const s = adjustSaturation(x, [0]).arraySync()[0]![1]![2]!;
    expect(s[0]).toBeCloseTo(gray(px), 5);
    expect(s[2]).toBeCloseTo(gray(px), 5);
    const clipped = adjustBrightness(x, [10]).max().arraySync();
    expect(clipped).toBeLessThanOrEqual(1);
    tf.dispose(x);
  });

  it('matches torchvision’s adjust_brightness, adjust_contrast and adjust_saturation', () => {
    const { height, width } = JITTER_SHAPE;
    const x = tf.tensor4d(jitterInput(), [1, height, width, 3]);
    const bytes = loadGolden('torchvision-jitter').read('jittered.f32');
    const want = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const got = colorJitter(x, { order: [[...JITTER_ORDER]], ...JITTER_FACTORS });
    const g = got.dataSync();
    expect(want.length).toBe(g.length);
    let worst = 0;
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs((g[i] ?? 0) - (want[i] ?? 0)));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([x, got]);
  });

  it('applies the colour operations in each image’s own order', () => {
    const x = randomImages(2, 4, 4, 'o');
    const orders: JitterOp[][] = [
      ['saturation', 'brightness', 'contrast'],
      ['contrast', 'saturation', 'brightness'],
    ];
    const p = { order: orders, brightness: [1.4, 0.7], contrast: [0.6, 1.5], saturation: [1.8, 0.3] };
    const out = colorJitter(x, p).arraySync();
    const ops = { brightness: adjustBrightness, contrast: adjustContrast, saturation: adjustSaturation };
    for (const n of [0, 1]) {
      let one = x.slice<tf.Tensor4D>([n, 0, 0, 0], [1, 4, 4, 3]);
      for (const op of orders[n]!) one = ops[op](one, [p[op][n]!]);
      const want = one.arraySync()[0]!;
      for (let y = 0; y < 4; y++) for (let c = 0; c < 3; c++) expect(at(out, n, y, 1, c)).toBeCloseTo(want[y]![1]![c]!, 5);
    }
    tf.dispose(x);
  });

  it('draws parameters in torchvision’s ranges, reproducibly', () => {
    const settings = { hflip: 0.5, rotate_degrees: 10, color_jitter: [0.2, 0.4, 1.5] as [number, number, number] };
    const p = drawAugmentParams(seedrandom('p'), 400, settings);
    expect(drawAugmentParams(seedrandom('p'), 400, settings)).toEqual(p);
    expect(Math.max(...p.angle.map(Math.abs))).toBeLessThanOrEqual(10);
    expect(Math.max(...p.angle.map(Math.abs))).toBeGreaterThan(9);
    expect(Math.min(...p.brightness)).toBeGreaterThanOrEqual(0.8);
    expect(Math.max(...p.brightness)).toBeLessThanOrEqual(1.2);
    expect(Math.min(...p.contrast)).toBeGreaterThanOrEqual(0.6);
    expect(Math.min(...p.saturation)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...p.saturation)).toBeGreaterThan(2);
    const flips = p.flip.filter(Boolean).length;
    expect(flips).toBeGreaterThan(150);
    expect(flips).toBeLessThan(250);
    expect(new Set(p.order.map((o) => o.join())).size).toBe(6);
  });

  it('gives the same images on tensors and on pixels', () => {
    const x = randomImages(6, 12, 12, 'same');
    const p = drawAugmentParams(seedrandom('same'), 6, { hflip: 0.5, rotate_degrees: 40, color_jitter: [0.5, 0.5, 0.5] });
    p.angle[0] = 0;
    p.flip[0] = true;
    const onTensors = augmentImages(x, p);
    const onPixels = augmentPixels(x.dataSync() as Float32Array, 6, 12, p);
    const t = onTensors.dataSync();
    let worst = 0;
    for (let i = 0; i < t.length; i++) worst = Math.max(worst, Math.abs((t[i] ?? 0) - (onPixels[i] ?? 0)));
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([x, onTensors]);
  });

  it('leaks no tensors', () => {
    const x = randomImages(3, 6, 6, 'l');
    const before = tf.memory().numTensors;
    const p = drawAugmentParams(seedrandom('l'), 3, { hflip: 0.5, rotate_degrees: 20, color_jitter: [0.3, 0.3, 0.3] });
    tf.dispose([flipImages(x, p.flip), rotateImages(x, p.angle), colorJitter(x, p)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
