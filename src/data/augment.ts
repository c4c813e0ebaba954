import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../config/schema';

/**
 * Training-time augmentation on NHWC tensors in [0, 1], written with plain tensor ops (no
 * `tf.image.rotateWithOffset`, which the native backend lacks). The random parameters are
 * drawn in JavaScript from a seeded generator, so a batch's augmentation is a pure function of
 * the seed stream and no tensor has to be read back.
 */

/** The three colour operations of torchvision's `ColorJitter` that Tim uses. */
export const JITTER_OPS = ['brightness', 'contrast', 'saturation'] as const;
export type JitterOp = (typeof JITTER_OPS)[number];

/** What happens to each image of one batch. */
export interface AugmentParams {
  flip: boolean[];
  /** Counter-clockwise, in degrees (torchvision's sign). */
  angle: number[];
  brightness: number[];
  contrast: number[];
  saturation: number[];
  /** Per image, the order in which the colour operations are applied. */
  order: JitterOp[][];
}

/** The subset of the config's `augment` section that drives augmentation. */
export type AugmentSettings = Pick<AugmentConfig, 'hflip' | 'rotate_degrees' | 'color_jitter'>;

/** torchvision's factor range for a jitter strength f: uniform in [max(0, 1 - f), 1 + f]. */
function drawFactor(rng: () => number, strength: number): number {
  if (strength <= 0) return 1;
  const lo = Math.max(0, 1 - strength);
  const hi = 1 + strength;
  return lo + (hi - lo) * rng();
}

/** Draws the parameters for `count` images from `rng` (always the same number of draws per image). */
export function drawAugmentParams(rng: () => number, count: number, settings: AugmentSettings): AugmentParams {
  const p: AugmentParams = { flip: [], angle: [], brightness: [], contrast: [], saturation: [], order: [] };
  const [b, c, s] = settings.color_jitter;
  for (let i = 0; i < count; i++) {
    p.flip.push(rng() < settings.hflip);
    const u = rng();
    p.angle.push(settings.rotate_degrees > 0 ? (2 * u - 1) * settings.rotate_degrees : 0);
    const order: JitterOp[] = [...JITTER_OPS];
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(rng() * (k + 1));
      [order[k], order[j]] = [order[j] as JitterOp, order[k] as JitterOp];
    }
    p.order.push(order);
    p.brightness.push(drawFactor(rng, b));
    p.contrast.push(drawFactor(rng, c));
    p.saturation.push(drawFactor(rng, s));
  }
  return p;
}

/** Mirrors the images whose flag is set. */
export function flipImages(x: tf.Tensor4D, flip: readonly boolean[]): tf.Tensor4D {
  if (!flip.some(Boolean)) return x.clone();
  return tf.tidy(() => {
    const mask = tf.tensor1d(flip.map((f) => (f ? 1 : 0)), 'bool').reshape([flip.length, 1, 1, 1]);
    return tf.where<tf.Tensor4D>(mask.broadcastTo(x.shape), tf.reverse(x, 2), x);
  });
}

/**
 * Rotates each image about its centre by its angle (degrees, counter-clockwise), bilinear,
 * black where the rotated picture does not reach. Each output pixel is mapped back into the
 * source image and its four neighbours are gathered.
 */
export function rotateImages(x: tf.Tensor4D, degrees: readonly number[]): tf.Tensor4D {
  if (degrees.every((d) => d === 0)) return x.clone();
  return tf.tidy(() => {
    const [n, h, w, ch] = x.shape;
    const rad = degrees.map((d) => (d * Math.PI) / 180);
    const cos = tf.tensor1d(rad.map(Math.cos)).reshape([n, 1, 1]);
    const sin = tf.tensor1d(rad.map(Math.sin)).reshape([n, 1, 1]);
    const cx = (w - 1) / 2;
    const cy = (h - 1) / 2;
    const dx = tf.range(0, w, 1, 'float32').sub(cx).reshape([1, 1, w]);
    const dy = tf.range(0, h, 1, 'float32').sub(cy).reshape([1, h, 1]);
    // Inverse of a counter-clockwise turn on screen (y pointing down).
    const sx = cos.mul(dx).sub(sin.mul(dy)).add(cx);
    const sy = sin.mul(dx).add(cos.mul(dy)).add(cy);
    const x0 = sx.floor();
    const y0 = sy.floor();
    const fx = sx.sub(x0);
    const fy = sy.sub(y0);
    const flat = x.reshape([n * h * w, ch]);
    const base = tf.range(0, n, 1, 'int32').mul(h * w).reshape([n, 1, 1]);
    const corner = (xi: tf.Tensor, yi: tf.Tensor, weight: tf.Tensor): tf.Tensor => {
      const inside = xi.greaterEqual(0).logicalAnd(xi.lessEqual(w - 1)).logicalAnd(yi.greaterEqual(0)).logicalAnd(yi.lessEqual(h - 1));
      const idx = base.add(yi.clipByValue(0, h - 1).toInt().mul(w)).add(xi.clipByValue(0, w - 1).toInt());
      const picked = tf.gather(flat, idx.reshape([-1]).toInt()).reshape([n, h, w, ch]);
      return picked.mul(weight.mul(inside.toFloat()).expandDims(3));
    };
    const one = tf.scalar(1);
    const x1 = x0.add(one);
    const y1 = y0.add(one);
    const gx = one.sub(fx);
    const gy = one.sub(fy);
    return tf.addN([
      corner(x0, y0, gx.mul(gy)),
      corner(x1, y0, fx.mul(gy)),
      corner(x0, y1, gx.mul(fy)),
      corner(x1, y1, fx.mul(fy)),
    ]) as tf.Tensor4D;
  });
}

/** torchvision's `rgb_to_grayscale` weights, as NHW1. */
function grayscale(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => x.mul(tf.tensor1d([0.2989, 0.587, 0.114])).sum<tf.Tensor4D>(3, true));
}

/** `factor * x + (1 - factor) * other`, clipped to [0, 1]: torchvision's `_blend`. */
function blend(x: tf.Tensor4D, other: tf.Tensor, factor: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => factor.mul(x).add(tf.scalar(1).sub(factor).mul(other)).clipByValue(0, 1) as tf.Tensor4D);
}

export function adjustBrightness(x: tf.Tensor4D, factor: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => x.mul(tf.tensor1d([...factor]).reshape([factor.length, 1, 1, 1])).clipByValue(0, 1) as tf.Tensor4D);
}

export function adjustContrast(x: tf.Tensor4D, factor: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = grayscale(x).mean([1, 2, 3], true);
    return blend(x, mean, tf.tensor1d([...factor]).reshape([factor.length, 1, 1, 1]));
  });
}

export function adjustSaturation(x: tf.Tensor4D, factor: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => blend(x, grayscale(x), tf.tensor1d([...factor]).reshape([factor.length, 1, 1, 1])));
}

const ADJUST: Record<JitterOp, (x: tf.Tensor4D, f: readonly number[]) => tf.Tensor4D> = {
  brightness: adjustBrightness,
  contrast: adjustContrast,
  saturation: adjustSaturation,
};

/**
 * torchvision's `ColorJitter` with a per-image random order. At each of the three steps every
 * operation runs with factor 1 (the identity) for the images that do not apply it there.
 */
export function colorJitter(x: tf.Tensor4D, p: Pick<AugmentParams, JitterOp | 'order'>): tf.Tensor4D {
  return tf.tidy(() => {
    let out = x.clone();
    for (let step = 0; step < JITTER_OPS.length; step++) {
      for (const op of JITTER_OPS) {
        const factors = p.order.map((order, i) => (order[step] === op ? (p[op][i] ?? 1) : 1));
        if (factors.every((f) => f === 1)) continue;
        out = ADJUST[op](out, factors);
      }
    }
    return out;
  });
}

/** Flip, then rotation, then colour jitter, as the reference's torchvision pipeline ordered them. */
export function augmentImages(x: tf.Tensor4D, p: AugmentParams): tf.Tensor4D {
  return tf.tidy(() => colorJitter(rotateImages(flipImages(x, p.flip), p.angle), p));
}
