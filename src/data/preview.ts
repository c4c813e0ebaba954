import sharp, { type OverlayOptions } from 'sharp';
import * as tf from '@tensorflow/tfjs';
import type { TimConfig } from '../config/schema';
import { writeFileAtomic } from '../io/atomic';
import { indexDataset } from './index-dataset';
import { createLoader } from './loader';
import { preprocessSpecOf } from './preprocess';
import { splitForConfig } from './split';
import { denormalizeImages } from './tensor';

export interface PreviewOptions {
  /** How many samples (default 32). */
  count?: number;
  /** Which epoch's augmentation to show (default 0). */
  epoch?: number;
  /** Grid columns (default 8). */
  columns?: number;
}

/**
 * A PNG grid of augmented training samples, exactly as the training loader hands them to the
 * model (after undoing the normalisation), each captioned with its class.
 */
export async function renderPreview(config: TimConfig, out: string, opts: PreviewOptions = {}): Promise<{ count: number; width: number; height: number }> {
  const count = opts.count ?? 32;
  const spec = preprocessSpecOf(config);
  const index = await indexDataset(config.data.root, { cacheDir: config.data.cache_dir });
  const split = splitForConfig(index, config);
  const loader = await createLoader({
    root: config.data.root,
    items: split.train,
    spec,
    batchSize: Math.min(count, split.train.length),
    shuffle: true,
    seed: config.seed,
    augment: config.augment,
    ...(config.augment.mixup ? { mixup: { settings: config.augment.mixup, numClasses: index.classes.length } } : {}),
    cache: config.data.cache,
    cacheDir: config.data.cache_dir,
    maxBatches: 1,
  });
  let pixels: Uint8Array;
  let labels: string[];
  try {
    const it = loader.batches(opts.epoch ?? 0);
    const first = await it.next();
    const batch = first.done ? undefined : first.value;
    await it.return(undefined);
    if (!batch) throw new Error('no batch');
    const unit = denormalizeImages(batch.x, spec.mean, spec.std);
    const scaled = tf.tidy(() => unit.mul(255).round().toInt());
    const [values, ys] = await Promise.all([scaled.data(), batch.y.data()]);
    pixels = Uint8Array.from(values);
    labels = Array.from(ys, (l) => index.classes[l] ?? String(l));
    tf.dispose([batch.x, batch.y, unit, scaled, ...(batch.targets ? [batch.targets] : [])]);
  } finally {
    loader.dispose();
  }
  const n = labels.length;
  const S = spec.image_size;
  // Small inputs are drawn larger (nearest neighbour, so the pixels stay honest).
  const zoom = Math.max(1, Math.floor(160 / S));
  const tile = S * zoom;
  const caption = 16;
  const gap = 6;
  const columns = Math.min(opts.columns ?? 8, n);
  const rows = Math.ceil(n / columns);
  const width = columns * tile + (columns + 1) * gap;
  const height = rows * (tile + caption) + (rows + 1) * gap;
  const per = S * S * 3;
  const layers: OverlayOptions[] = [];
  for (let i = 0; i < n; i++) {
    const left = gap + (i % columns) * (tile + gap);
    const top = gap + Math.floor(i / columns) * (tile + caption + gap);
    const img = await sharp(Buffer.from(pixels.subarray(i * per, (i + 1) * per)), { raw: { width: S, height: S, channels: 3 } })
      .resize(tile, tile, { kernel: 'nearest' })
      .png()
      .toBuffer();
    layers.push({ input: img, left, top });
    const text = await captionPng(labels[i] ?? '', tile, caption);
    if (text) layers.push({ input: text, left, top: top + tile });
  }
  const png = await sharp({ create: { width, height, channels: 3, background: { r: 40, g: 40, b: 44 } } })
    .composite(layers)
    .png()
    .toBuffer();
  writeFileAtomic(out, png);
  return { count: n, width, height };
}

/** A one-line caption, or undefined where text rendering is unavailable. */
async function captionPng(text: string, width: number, height: number): Promise<Buffer | undefined> {
  const safe = text.replace(/_/g, ' ').replace(/[&<>]/g, '');
  try {
    const rendered = await sharp({
      text: { text: `<span foreground="#e8e8e8">${safe}</span>`, font: 'sans 10', dpi: 96, rgba: true },
    })
      .png()
      .toBuffer();
    const meta = await sharp(rendered).metadata();
    if (meta.width > width || meta.height > height) return await sharp(rendered).resize(width, height, { fit: 'inside' }).png().toBuffer();
    return rendered;
  } catch {
    return undefined;
  }
}
