import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { parseConfig } from '../../src/config/load';
import { train } from '../../src/train';

/** Three "artists", each a colour with a stripe, so a tiny CNN can tell them apart. */
export const TINY_CLASSES = ['Amber_Stripes', 'Blue_Period', 'Green_Fields'];
const COLOURS: Record<string, [number, number, number]> = { Amber_Stripes: [220, 150, 30], Blue_Period: [40, 70, 200], Green_Fields: [40, 170, 70] };

/** A small painting of a class: its colour, a lighter stripe at a random height, some noise. */
export async function paint(file: string, cls: string, seed: number, width = 48, height = 36): Promise<void> {
  const [r, g, b] = COLOURS[cls] ?? [128, 128, 128];
  const data = Buffer.alloc(width * height * 3);
  let s = seed * 7919 + 17;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const stripe = Math.floor(rand() * (height - 8));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const lift = y >= stripe && y < stripe + 6 ? 60 : 0;
      const n = Math.floor(rand() * 30) - 15;
      const i = (y * width + x) * 3;
      data[i] = Math.max(0, Math.min(255, r + lift + n));
      data[i + 1] = Math.max(0, Math.min(255, g + lift + n));
      data[i + 2] = Math.max(0, Math.min(255, b + lift + n));
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(data, { raw: { width, height, channels: 3 } }).toFormat(file.endsWith('.png') ? 'png' : 'jpeg').toFile(file);
}

/** A folder of tiny paintings, one sub-folder per class. */
export async function paintDataset(root: string, perClass = 6): Promise<void> {
  for (const [k, cls] of TINY_CLASSES.entries()) {
    for (let i = 0; i < perClass; i++) await paint(path.join(root, cls, `${cls}_${i + 1}.${i % 2 ? 'png' : 'jpg'}`), cls, k * 100 + i, 40 + 8 * (i % 3), 36);
  }
}

/** A real run folder: tiny_cnn trained for a few epochs by the project's train(), with a best/ model. */
export async function makeTinyRun(dir: string, dataRoot: string): Promise<void> {
  const config = parseConfig({
    name: 'tiny_demo',
    seed: 7,
    data: { root: dataRoot, image_size: 32, resize: 'letterbox', val_fraction: 0.34, cache: false },
    model: { arch: 'tiny_cnn' },
    train: { epochs: 4, batch_size: 6, lr_groups: { early: 3e-3, middle: 3e-3, head: 3e-3 } },
    runtime: { backend: 'auto' },
  });
  await train(config, { out: dir, force: true });
}
