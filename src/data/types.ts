import type * as tf from '@tensorflow/tfjs';
import type { DatasetItem } from '../io/run-folder';

/** An image of the data set, split.json and the preprocessing record: defined with the run folder's files. */
export type { DatasetItem, PreprocessSpec, SplitManifest } from '../io/run-folder';

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
