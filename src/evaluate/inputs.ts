import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { log } from '../core/log';
import { nearest } from '../core/suggest';
import { bytesToUnitTensor, isImageFile, listDataset, normalizeImages, prepareImage } from '../data';
import { decodeConcurrency, mapConcurrent } from '../data/concurrency';
import type { DatasetItem, PreparedImage, PreprocessSpec } from '../data/types';

/**
 * The images evaluation reads: the given items only, in order, decoded and normalised with the
 * run's recorded preprocessing through the data module's `prepareImage` (the path training
 * uses), and never augmented.
 */

export interface EvalBatch {
  x: tf.Tensor4D;
  labels: number[];
  paths: string[];
}

/**
 * `batchSize` items at a time as normalised NHWC float32 tensors; the caller disposes `x`. The
 * next batch is decoded (on sharp's threads) while the caller runs the model on this one.
 */
export async function* evalBatches(root: string, items: readonly DatasetItem[], spec: PreprocessSpec, batchSize: number): AsyncGenerator<EvalBatch> {
  const size = spec.image_size;
  const px = size * size * 3;
  const concurrency = decodeConcurrency();
  const decode = (start: number): Promise<PreparedImage[]> =>
    mapConcurrent(items.slice(start, start + batchSize), concurrency, (it) => prepareImage(path.join(root, it.path), spec));
  let pending: Promise<PreparedImage[]> | undefined = items.length ? decode(0) : undefined;
  for (let start = 0; pending; start += batchSize) {
    const prepared = await pending;
    const next = start + batchSize;
    pending = next < items.length ? decode(next) : undefined;
    // A failed prefetch surfaces when it is awaited; until then it must not be unhandled.
    pending?.catch(() => undefined);
    const chunk = items.slice(start, start + batchSize);
    const bytes = new Uint8Array(chunk.length * px);
    prepared.forEach((p, i) => bytes.set(p.data, i * px));
    const x = tf.tidy(() => {
      const unit = bytesToUnitTensor(bytes, chunk.length, size);
      return normalizeImages(unit, spec.mean, spec.std);
    });
    yield { x, labels: chunk.map((it) => it.label), paths: chunk.map((it) => it.path) };
  }
}

/**
 * An external image folder (one sub-folder per class) as items labelled with the run's
 * classes, matched by folder name. A folder the run does not know is an error naming it;
 * files that are not images (by content) are skipped with a warning.
 */
export function externalItems(dir: string, runClasses: readonly string[]): { items: DatasetItem[]; classes: string[] } {
  const { classes, files } = listDataset(dir);
  if (classes.length === 0) throw new TimError(`--data ${dir}: no class sub-folders`);
  const unknown = classes.filter((c) => !runClasses.includes(c));
  if (unknown.length) {
    const named = unknown.map((c) => {
      const near = nearest(c, runClasses);
      return near === undefined ? `'${c}'` : `'${c}' (did you mean '${near}'?)`;
    });
    throw new TimError(`--data ${dir}: classes the run was not trained on: ${named.join(', ')}; the run's ${runClasses.length} classes are in its labels.json`);
  }
  const items: DatasetItem[] = [];
  for (const f of files) {
    if (!isImageFile(path.join(dir, f.path))) {
      log.warn(`skipping ${path.join(dir, f.path)}: not an image`);
      continue;
    }
    items.push({ path: f.path, label: runClasses.indexOf(classes[f.label] as string) });
  }
  if (items.length === 0) throw new TimError(`--data ${dir}: no images found in its class folders`);
  return { items, classes };
}
