import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { configToYaml, parseConfig } from '../../../src/config/load';
import type { ResizeMode } from '../../../src/config/schema';
import type { SplitManifest } from '../../../src/data/types';
import { RUN_FILES, summaryFile } from '../../../src/io/run-folder';
import { trainSummary } from '../../support/run-files';
import { createModel, saveTimModel } from '../../../src/models';

/** Small inputs keep the plain JavaScript backend quick. */
export const IMAGE_SIZE = 16;

export const CLASSES = ['Alpha Painter', 'Beta, the "Elder"', 'Gamma'];

/** A small image of a given colour and shape, with a bright stripe so left and right differ. */
export async function writeImage(file: string, width: number, height: number, rgb: [number, number, number]): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const stripe = x < width / 4;
      data[o] = stripe ? 255 : rgb[0];
      data[o + 1] = stripe ? 255 : rgb[1];
      data[o + 2] = stripe ? 255 : rgb[2];
    }
  }
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(file);
}

/**
 * An image folder with `perClass` validation images per class of assorted aspect ratios, and
 * training entries that are not decodable images: reading any of them fails the evaluation.
 */
export async function makeDataset(root: string, perClass: number): Promise<SplitManifest> {
  const colours: Array<[number, number, number]> = [
    [200, 30, 30],
    [30, 200, 30],
    [30, 30, 200],
  ];
  const val: SplitManifest['val'] = [];
  const train: SplitManifest['train'] = [];
  for (const [label, name] of CLASSES.entries()) {
    for (let i = 0; i < perClass; i++) {
      const rel = `${name}/val_${i}.png`;
      // 4:1 and 1:4 pictures: letterboxed, they fill an exact quarter-wide band of the square input.
      const long = 40 + 8 * i;
      const short = long / 4;
      const wide = i % 2 === 0;
      await writeImage(path.join(root, rel), wide ? long : short, wide ? short : long, colours[label]!);
      val.push({ path: rel, label });
    }
    for (let i = 0; i < 2; i++) {
      const rel = `${name}/train_${i}.jpg`;
      fs.writeFileSync(path.join(root, rel), 'not an image: evaluation must never open training files');
      train.push({ path: rel, label });
    }
  }
  return { root, seed: 1, val_fraction: 0.5, classes: [...CLASSES], train, val };
}

/** A run folder as training leaves it: config.yaml, labels.json, split.json and best/. */
export async function makeRun(dir: string, split: SplitManifest, opts: { resize: ResizeMode; seed?: number; name?: string }): Promise<void> {
  const config = parseConfig({
    name: opts.name ?? path.basename(dir),
    data: { root: split.root, image_size: IMAGE_SIZE, resize: opts.resize },
    model: { arch: 'tiny_cnn' },
    train: { batch_size: 4, epochs: 1 },
  });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, RUN_FILES.config), configToYaml(config));
  fs.writeFileSync(path.join(dir, RUN_FILES.labels), JSON.stringify(split.classes));
  fs.writeFileSync(path.join(dir, RUN_FILES.split), JSON.stringify(split));
  summaryFile.write(path.join(dir, RUN_FILES.summary), trainSummary({ best_epoch: 3 }));
  const tm = createModel('tiny_cnn', { numClasses: split.classes.length, inputSize: IMAGE_SIZE, seed: opts.seed ?? 5 });
  await saveTimModel(tm, path.join(dir, RUN_FILES.best));
  tm.model.dispose();
}
