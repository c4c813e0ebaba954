import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { unknownNameMessage } from '../core/suggest';

/**
 * A CAM method is one small function: from the target activations (and, for gradient
 * methods, the gradient of the class score with respect to them) to a coarse map per image.
 * Everything else (forward, backward, ReLU, upsampling, normalisation) is shared by the base.
 */
export interface CamMethod {
  name: string;
  /** Human-readable name for labels and tables. */
  title: string;
  usesGradients: boolean;
  /** activations, gradients: N×h×w×C. Returns N×h×w, before the ReLU. */
  map(activations: tf.Tensor4D, gradients: tf.Tensor4D | undefined, context: CamContext): tf.Tensor3D;
}

/** What methods that re-run the model need besides activations and gradients. */
export interface CamContext {
  /** The normalised input batch, N×S×S×3. */
  x: tf.Tensor4D;
  /** What is explained for each image, as a score of its logits. */
  targets: ReadonlyArray<(logits: tf.Tensor1D) => tf.Scalar>;
  /** Logits of a batch of inputs, in inference mode. */
  forward(x: tf.Tensor4D): tf.Tensor2D;
}

function needGrads(name: string, g: tf.Tensor4D | undefined): tf.Tensor4D {
  if (!g) throw new Error(`${name} needs gradients`);
  return g;
}

/** Weighted sum of the channels with one weight per image and channel (N×C). */
function weightedChannels(activations: tf.Tensor4D, weights: tf.Tensor2D): tf.Tensor3D {
  const [n, , , c] = activations.shape;
  return tf.sum(tf.mul(activations, tf.reshape(weights, [n, 1, 1, c])), 3);
}

/** Grad-CAM (Selvaraju et al. 2017): channel weights are the spatially averaged gradients. */
export const gradCam: CamMethod = {
  name: 'gradcam',
  title: 'Grad-CAM',
  usesGradients: true,
  map: (a, g) => weightedChannels(a, tf.mean(needGrads('gradcam', g), [1, 2])),
};

/**
 * Grad-CAM++ (Chattopadhyay et al. 2018), with the usual exponential-score closed form: the
 * per-position coefficients alpha = g² / (2g² + Σa·g³) weight only the positive gradients, so
 * several instances of a class all count instead of the strongest one alone.
 */
export const gradCamPlusPlus: CamMethod = {
  name: 'gradcampp',
  title: 'Grad-CAM++',
  usesGradients: true,
  map: (a, gIn) => {
    const g = needGrads('gradcampp', gIn);
    const g2 = tf.square(g);
    const g3 = tf.mul(g2, g);
    const sumA = tf.sum(a, [1, 2], true);
    const denom = tf.add(tf.mul(g2, 2), tf.mul(sumA, g3));
    const safe = tf.where(tf.notEqual(denom, 0), denom, tf.onesLike(denom));
    const alpha = tf.where(tf.notEqual(g, 0), tf.div(g2, safe), tf.zerosLike(g));
    const weights = tf.sum<tf.Tensor2D>(tf.mul(alpha, tf.relu(g)), [1, 2]);
    return weightedChannels(a, weights);
  },
};

/**
 * HiResCAM (Draelos & Carin 2020): the element-wise product of gradients and activations,
 * summed over channels; for a global-average-pooled linear head it is exactly the part of the
 * class score each position contributes.
 */
export const hiResCam: CamMethod = {
  name: 'hirescam',
  title: 'HiResCAM',
  usesGradients: true,
  map: (a, g) => tf.sum(tf.mul(a, needGrads('hirescam', g)), 3),
};

/**
 * Eigen-CAM (Muhammad & Yeasin 2020): the projection of the activations on their first
 * principal component, found by power iteration. It ignores the class (no gradients), so it
 * shows what the network attends to rather than why it chose one artist. The component's
 * sign is chosen so that the map correlates with the total activation.
 */
export const eigenCam: CamMethod = {
  name: 'eigencam',
  title: 'Eigen-CAM',
  usesGradients: false,
  map: (a) => {
    const [n, h, w, c] = a.shape;
    const maps: tf.Tensor2D[] = [];
    for (let i = 0; i < n; i++) {
      const m = tf.reshape<tf.Rank.R2>(tf.slice(a, [i, 0, 0, 0], [1, h, w, c]), [h * w, c]);
      const centred = tf.sub(m, tf.mean(m, 0, true));
      const cov = tf.matMul(centred, centred, true, false);
      let v: tf.Tensor2D = tf.div(tf.ones([c, 1]), Math.sqrt(c));
      for (let k = 0; k < 30; k++) {
        const next = tf.matMul(cov, v);
        v = tf.div(next, tf.add(tf.norm(next), 1e-12));
      }
      let proj = tf.reshape<tf.Rank.R2>(tf.matMul(centred, v), [h, w]);
      const total = tf.sum(m, 1);
      const agreement = tf.sum(tf.mul(tf.reshape(proj, [h * w]), tf.sub(total, tf.mean(total))));
      proj = tf.mul(proj, tf.where(tf.less(agreement, 0), tf.scalar(-1), tf.scalar(1)));
      maps.push(proj);
    }
    return tf.stack(maps) as tf.Tensor3D;
  },
};

/** Channels masked per forward pass in Score-CAM. */
const SCORE_CAM_CHUNK = 16;

/**
 * Score-CAM (Wang et al. 2020): each channel's activation map, upsampled and scaled to [0, 1],
 * masks the input; the channel's weight is the target score of that masked input (softmax over
 * channels). No gradients, but one forward pass per channel: minutes per image for the
 * 2048-channel ResNet-50 on a CPU backend.
 */
export const scoreCam: CamMethod = {
  name: 'scorecam',
  title: 'Score-CAM',
  usesGradients: false,
  map: (a, _g, ctx) => {
    const [n, h, w, c] = a.shape;
    const [, height, width] = ctx.x.shape;
    const maps: tf.Tensor2D[] = [];
    for (let i = 0; i < n; i++) {
      const image = tf.slice(ctx.x, [i, 0, 0, 0], [1, -1, -1, -1]);
      const target = ctx.targets[i];
      if (!target) throw new Error(`scorecam: no target for image ${i}`);
      const scores: tf.Tensor1D[] = [];
      for (let k0 = 0; k0 < c; k0 += SCORE_CAM_CHUNK) {
        const k = Math.min(SCORE_CAM_CHUNK, c - k0);
        scores.push(
          tf.tidy(() => {
            // k channel maps as k single-channel images, upsampled and min–max scaled.
            const chans = tf.transpose<tf.Tensor4D>(tf.slice(a, [i, 0, 0, k0], [1, h, w, k]), [3, 1, 2, 0]);
            const up = tf.image.resizeBilinear(chans, [height, width], false, true);
            const lo = tf.min(up, [1, 2, 3], true);
            const hi = tf.max(up, [1, 2, 3], true);
            const masks = tf.div(tf.sub(up, lo), tf.add(tf.sub(hi, lo), 1e-7));
            const logits = ctx.forward(tf.mul<tf.Tensor4D>(image, masks));
            return tf.stack(Array.from({ length: k }, (_, j) => target(tf.squeeze<tf.Tensor1D>(tf.slice(logits, [j, 0], [1, -1]), [0])))) as tf.Tensor1D;
          }),
        );
      }
      const weights = tf.softmax(tf.concat(scores));
      const acts = tf.reshape<tf.Rank.R2>(tf.slice(a, [i, 0, 0, 0], [1, h, w, c]), [h * w, c]);
      maps.push(tf.reshape<tf.Rank.R2>(tf.matMul(acts, tf.reshape(weights, [c, 1])), [h, w]));
    }
    return tf.stack(maps) as tf.Tensor3D;
  },
};

export const CAM_METHODS: readonly CamMethod[] = [gradCam, gradCamPlusPlus, hiResCam, eigenCam, scoreCam];

export type CamMethodName = 'gradcam' | 'gradcampp' | 'hirescam' | 'eigencam' | 'scorecam';

export function camMethodNames(): string[] {
  return CAM_METHODS.map((m) => m.name);
}

export function getCamMethod(name: string): CamMethod {
  const m = CAM_METHODS.find((x) => x.name === name.toLowerCase());
  if (!m) throw new TimError(unknownNameMessage('CAM method', name, camMethodNames()));
  return m;
}
