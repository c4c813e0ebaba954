import { z } from 'zod';
import type * as tf from '@tensorflow/tfjs';
import type { ResizeMode } from '../config/schema';

/** One usable image of the data set, its path relative to the data root. */
export const datasetItemSchema = z.object({ path: z.string(), label: z.number().int().min(0) });
export type DatasetItem = z.infer<typeof datasetItemSchema>;

/** A file that was skipped and why (zero bytes, truncated, not an image, unreadable). */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** The indexed image folder: classes sorted by name, one sub-folder each. */
export interface DatasetIndex {
  root: string;
  classes: string[];
  items: DatasetItem[];
  skipped: SkippedFile[];
}

/**
 * `split.json` in a run folder. Paths are relative to `root`. Evaluation, explanation and
 * reports read the held-out images from here and only from here.
 */
export const splitManifestSchema = z.looseObject({
  root: z.string(),
  seed: z.number(),
  val_fraction: z.number(),
  /** With k-fold cross-validation: the number of folds and the held-out fold (0-based). */
  folds: z.number().optional(),
  fold: z.number().optional(),
  classes: z.array(z.string()),
  train: z.array(datasetItemSchema),
  val: z.array(datasetItemSchema),
  /** Leave-artists-out (`data.unknown_classes`): the classes training never saw... */
  unknown_classes: z.array(z.string()).optional(),
  /** ...and all their images, labels indexing `unknown_classes`: evaluation measures unknown-artist detection on them. */
  unknown: z.array(datasetItemSchema).optional(),
  /** The near-duplicate groups the split kept on one side each; absent in splits made without the check. */
  near_duplicates: z.object({ method: z.string(), threshold: z.number(), groups: z.array(z.array(z.string())) }).optional(),
});
export type SplitManifest = z.infer<typeof splitManifestSchema>;

/** How an image becomes model input; recorded in the run folder's config. */
export interface PreprocessSpec {
  image_size: number;
  resize: ResizeMode;
  mean: [number, number, number];
  std: [number, number, number];
}

/** Where the original picture lies inside the square input (the rest is letterbox padding). */
export interface ContentBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A decoded, resized image: 8-bit RGB, row-major HWC, `size`×`size`. */
export interface PreparedImage {
  data: Uint8Array;
  size: number;
  box: ContentBox;
}

/** One batch for the model: normalised NHWC float32 images and integer labels. */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  /** With mixup or CutMix: each image's target distribution over the classes, [n, C]; the loss uses it instead of `y`. */
  targets?: tf.Tensor2D;
  /** Paths of the images in the batch, relative to the data root. */
  paths: string[];
  /**
   * Seconds the consumer waited for this batch's pixels (decoded or read from the cache) after
   * asking for it: the part of reading that did not overlap with its work on the last batch.
   */
  waitSeconds?: number;
  /** Seconds spent on the consumer's thread turning the pixels into tensors: augmentation and normalisation. */
  prepareSeconds?: number;
}
