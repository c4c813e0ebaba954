import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import sharp from 'sharp';
import { configToYaml, parseConfig } from '../../../src/config/load';
import { writeSplit } from '../../../src/data';
import { createModel, saveTimModel } from '../../../src/models';
import type { TimModel } from '../../../src/models';

/**
 * A synthetic task whose class is decided only by a small coloured square placed at a random
 * position on a noisy grey background: any faithful explanation must point at the square.
 */
export const MOTIF_COLOURS: ReadonlyArray<[number, number, number]> = [
  [230, 40, 40],
  [40, 200, 40],
  [50, 80, 240],
];
export const MOTIF_CLASSES = ['red', 'green', 'blue'];

export interface MotifImage {
  /** 8-bit RGB, row-major HWC. */
  data: Uint8Array;
  label: number;
  /** Top-left corner and side of the square. */
  box: { x: number; y: number; size: number };
}

export function motifImages(count: number, size: number, motif: number, seed: number): MotifImage[] {
  const rng = seedrandom(String(seed));
  const out: MotifImage[] = [];
  for (let n = 0; n < count; n++) {
    const label = n % MOTIF_COLOURS.length;
    const data = new Uint8Array(size * size * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(90 + rng() * 80);
    const x = Math.floor(rng() * (size - motif + 1));
    const y = Math.floor(rng() * (size - motif + 1));
    const colour = MOTIF_COLOURS[label] as [number, number, number];
    for (let r = y; r < y + motif; r++) {
      for (let c = x; c < x + motif; c++) {
        for (let ch = 0; ch < 3; ch++) data[(r * size + c) * 3 + ch] = colour[ch] as number;
      }
    }
    out.push({ data, label, box: { x, y, size: motif } });
  }
  return out;
}

export const MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const STD: [number, number, number] = [0.229, 0.224, 0.225];

/** Normalised NHWC batch, as the data pipeline would make it. */
export function toBatch(images: readonly MotifImage[], size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const flat = new Float32Array(images.length * size * size * 3);
    images.forEach((im, i) => flat.set(Float32Array.from(im.data, (v) => v / 255), i * size * size * 3));
    const x = tf.tensor4d(flat, [images.length, size, size, 3]);
    return tf.div<tf.Tensor4D>(tf.sub(x, tf.tensor1d(MEAN)), tf.tensor1d(STD));
  });
}

/** Trains tiny_cnn with a plain Adam loop (BatchNorm in training mode). */
export function trainMotifModel(train: readonly MotifImage[], size: number, opts: { epochs: number; batch: number; lr: number; seed: number }): TimModel {
  const tm = createModel('tiny_cnn', { numClasses: MOTIF_CLASSES.length, inputSize: size, seed: opts.seed });
  const optimizer = tf.train.adam(opts.lr);
  const rng = seedrandom(String(opts.seed));
  for (let e = 0; e < opts.epochs; e++) {
    const order = train.map((_, i) => i).sort(() => rng() - 0.5);
    for (let s = 0; s < order.length; s += opts.batch) {
      const items = order.slice(s, s + opts.batch).map((i) => train[i] as MotifImage);
      tf.tidy(() => {
        const x = toBatch(items, size);
        const y = tf.oneHot(tf.tensor1d(items.map((it) => it.label), 'int32'), MOTIF_CLASSES.length);
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, tm.model.apply(x, { training: true }) as tf.Tensor));
      });
    }
  }
  optimizer.dispose();
  return tm;
}

/** Writes images as PNG files under `<root>/<class>/<name>.png`; returns their relative paths. */
export async function writeMotifPngs(root: string, images: readonly MotifImage[], size: number, prefix: string): Promise<string[]> {
  const paths: string[] = [];
  for (const [i, im] of images.entries()) {
    const rel = path.join(MOTIF_CLASSES[im.label] as string, `${prefix}${String(i).padStart(4, '0')}.png`);
    fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    await sharp(Buffer.from(im.data), { raw: { width: size, height: size, channels: 3 } }).png().toFile(path.join(root, rel));
    paths.push(rel);
  }
  return paths;
}

/**
 * A run folder as training leaves it (config.yaml, labels.json, split.json, best/), for a
 * model trained in the test; `val` lists the held-out images under `root`.
 */
export async function writeMotifRun(runDir: string, tm: TimModel, opts: { root: string; size: number; val: Array<{ path: string; label: number }> }): Promise<void> {
  fs.mkdirSync(runDir, { recursive: true });
  const config = parseConfig({ name: 'motif', data: { root: opts.root, image_size: opts.size, resize: 'letterbox' }, model: { arch: 'tiny_cnn' } });
  fs.writeFileSync(path.join(runDir, 'config.yaml'), configToYaml(config));
  fs.writeFileSync(path.join(runDir, 'labels.json'), JSON.stringify(MOTIF_CLASSES));
  writeSplit(path.join(runDir, 'split.json'), { root: opts.root, seed: 1, val_fraction: 0.2, classes: MOTIF_CLASSES, train: [], val: opts.val });
  await saveTimModel(tm, path.join(runDir, 'best'));
}
