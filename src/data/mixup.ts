import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../config/schema';
import { randomInt, sampleBeta } from './random';

/** `augment.mixup`: timm's `Mixup(mixup_alpha=alpha, cutmix_alpha, prob, switch_prob, label_smoothing, mode='batch')`. */
export type MixupSettings = NonNullable<AugmentConfig['mixup']>;

/** CutMix's box: rows [top, bottom) and columns [left, right) taken from the batch flipped. */
export interface CutBox {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** One batch's mixing: λ (the weight of each image's own label), and CutMix's box when CutMix was chosen. */
export interface MixParams {
  lam: number;
  box?: CutBox;
}

/**
 * timm's `rand_bbox` and `cutmix_bbox_and_lam(correct_lam=True)`: a box of sides ⌊side·√(1−λ)⌋
 * centred on a uniform pixel, clipped to the image, and λ recomputed from the clipped box's area.
 */
export function cutmixBox(rng: () => number, height: number, width: number, lam: number): MixParams {
  const ratio = Math.sqrt(1 - lam);
  const cutH = Math.trunc(height * ratio);
  const cutW = Math.trunc(width * ratio);
  const cy = randomInt(rng, 0, height);
  const cx = randomInt(rng, 0, width);
  return cutmixFromCentre(height, width, cutH, cutW, cy, cx);
}

/** The clipped box around (cy, cx) and its corrected λ (split out so the clipping is tested at fixed draws). */
export function cutmixFromCentre(height: number, width: number, cutH: number, cutW: number, cy: number, cx: number): MixParams {
  const clip = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const box = {
    top: clip(cy - Math.floor(cutH / 2), height),
    bottom: clip(cy + Math.floor(cutH / 2), height),
    left: clip(cx - Math.floor(cutW / 2), width),
    right: clip(cx + Math.floor(cutW / 2), width),
  };
  const area = (box.bottom - box.top) * (box.right - box.left);
  return { lam: 1 - area / (height * width), box };
}

/**
 * timm's `Mixup._params_per_batch`: with probability `prob` the batch is mixed, by CutMix with
 * probability `switch_prob` when both are on, λ ~ Beta(α, α) of the chosen method; else λ = 1.
 */
export function drawMix(rng: () => number, height: number, width: number, s: MixupSettings): MixParams {
  if (!(rng() < s.prob)) return { lam: 1 };
  const both = s.alpha > 0 && s.cutmix_alpha > 0;
  const cutmix = both ? rng() < s.switch_prob : s.cutmix_alpha > 0;
  const alpha = cutmix ? s.cutmix_alpha : s.alpha;
  const lam = sampleBeta(rng, alpha, alpha);
  return cutmix ? cutmixBox(rng, height, width, lam) : { lam };
}

/**
 * timm's `mixup_target`: one-hot targets smoothed to `1 - s + s/C` and `s/C`, each row λ of its
 * own label and 1 - λ of the label of the image at the mirrored place in the batch. [n·C], row-major.
 */
export function mixupTargets(labels: readonly number[], numClasses: number, lam: number, smoothing: number): Float32Array {
  const n = labels.length;
  const off = smoothing / numClasses;
  const on = 1 - smoothing + off;
  const q = new Float32Array(n * numClasses).fill(off);
  for (let i = 0; i < n; i++) {
    const own = labels[i] ?? 0;
    const other = labels[n - 1 - i] ?? 0;
    q[i * numClasses + own] = (q[i * numClasses + own] ?? 0) + lam * (on - off);
    q[i * numClasses + other] = (q[i * numClasses + other] ?? 0) + (1 - lam) * (on - off);
  }
  return q;
}

/**
 * The batch mixed with itself in reverse order (timm's `x.flip(0)`): λ·x + (1 − λ)·flipped for
 * mixup, or the box pasted from the flipped batch for CutMix. An odd batch's middle image is
 * mixed with itself (timm asks for an even batch; Tim's last batch may be odd).
 */
export function mixImages(x: tf.Tensor4D, p: MixParams): tf.Tensor4D {
  if (p.lam === 1) return x.clone();
  return tf.tidy(() => {
    const flipped = tf.reverse(x, 0);
    const box = p.box;
    if (!box) return tf.add(tf.mul(x, p.lam), tf.mul(flipped, 1 - p.lam));
    const [, h, w] = x.shape;
    const rows = tf.logicalAnd(tf.greaterEqual(tf.range(0, h), box.top), tf.less(tf.range(0, h), box.bottom)).reshape([1, h, 1, 1]);
    const cols = tf.logicalAnd(tf.greaterEqual(tf.range(0, w), box.left), tf.less(tf.range(0, w), box.right)).reshape([1, 1, w, 1]);
    const inside = tf.logicalAnd(rows, cols).broadcastTo(x.shape);
    return tf.where(inside, flipped, x);
  });
}

/**
 * mixImages on NHWC pixels in JavaScript, for the backends whose tensor ops are JavaScript loops
 * too (on `cpu` the tensor version of one 32×224² batch takes seconds). Returns a new array.
 */
export function mixPixels(src: Float32Array, count: number, size: number, p: MixParams): Float32Array {
  const out = src.slice();
  if (p.lam === 1) return out;
  const per = size * size * 3;
  const box = p.box;
  for (let i = 0; i < count; i++) {
    const own = i * per;
    const other = (count - 1 - i) * per;
    if (!box) {
      for (let k = 0; k < per; k++) out[own + k] = p.lam * (src[own + k] ?? 0) + (1 - p.lam) * (src[other + k] ?? 0);
      continue;
    }
    for (let y = box.top; y < box.bottom; y++) {
      const row = (y * size + box.left) * 3;
      out.set(src.subarray(other + row, other + row + (box.right - box.left) * 3), own + row);
    }
  }
  return out;
}
