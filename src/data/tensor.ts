import * as tf from '@tensorflow/tfjs';
import { prepareImage } from './preprocess';
import type { ContentBox, PreparedImage, PreprocessSpec } from './types';

/**
 * `count` prepared images (8-bit HWC, concatenated) as one NHWC float32 tensor in [0, 1].
 * The byte-to-float conversion happens in JavaScript so that no intermediate tensor exists.
 */
export function bytesToUnitTensor(bytes: Uint8Array, count: number, size: number): tf.Tensor4D {
  return tf.tensor4d(bytesToUnit(bytes), [count, size, size, 3], 'float32');
}

/** 8-bit pixels as floats in [0, 1]. */
export function bytesToUnit(bytes: Uint8Array): Float32Array {
  const values = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) values[i] = (bytes[i] ?? 0) / 255;
  return values;
}

/** `(x - mean) / std` per channel, on images in [0, 1]. */
export function normalizeImages(x: tf.Tensor4D, mean: readonly number[], std: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => x.sub(tf.tensor1d([...mean])).div<tf.Tensor4D>(tf.tensor1d([...std])));
}

/** The inverse of `normalizeImages`, back to [0, 1] (for previews and overlays). */
export function denormalizeImages(x: tf.Tensor4D, mean: readonly number[], std: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => x.mul(tf.tensor1d([...std])).add(tf.tensor1d([...mean])).clipByValue(0, 1) as tf.Tensor4D);
}

/** A prepared image as a normalised 1×S×S×3 tensor. */
export function preparedToInput(prepared: PreparedImage, spec: PreprocessSpec): tf.Tensor4D {
  return tf.tidy(() => {
    const unit = bytesToUnitTensor(prepared.data, 1, prepared.size);
    return normalizeImages(unit, spec.mean, spec.std);
  });
}

/**
 * One image file as model input, exactly as training and evaluation feed it. The caller
 * disposes `x`.
 */
export async function imageToInput(
  file: string,
  spec: PreprocessSpec,
): Promise<{ x: tf.Tensor4D; box: ContentBox; prepared: PreparedImage }> {
  const prepared = await prepareImage(file, spec);
  return { x: preparedToInput(prepared, spec), box: prepared.box, prepared };
}
