import * as tf from '@tensorflow/tfjs';
import { TimError } from '../core/errors';
import { getCamMethod, type CamMethod } from './cam-methods';
import { splitAtLayer, type SplitModel } from './model-split';

/**
 * What a CAM explains: a scalar score computed from one image's logits. Targets are plain
 * functions so that a caller can explain a class, a margin between classes or a probability.
 */
export type CamTarget = (logits: tf.Tensor1D) => tf.Scalar;

/** The logit of one class (the usual Grad-CAM target: before the softmax). */
export function classTarget(classIndex: number): CamTarget {
  return (logits) => tf.squeeze<tf.Scalar>(tf.slice(logits, [classIndex], [1]));
}

export interface CamResult {
  /** N×S×S maps in [0, 1] at the input resolution, each min–max normalised on its own. */
  maps: tf.Tensor3D;
  /** N×K logits of the unmodified forward pass. */
  logits: tf.Tensor2D;
}

/** Min–max normalisation per image of an N×H×W tensor; a constant map becomes all zeros. */
export function normalizePerImage(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const min = tf.min(maps, [1, 2], true);
    const shifted = tf.sub(maps, min);
    const max = tf.max(shifted, [1, 2], true);
    return tf.div<tf.Tensor3D>(shifted, tf.add(max, 1e-7));
  });
}

/**
 * The shared CAM machinery, after pytorch-grad-cam's base class: forward to the target
 * layer, forward through the head, gradient of the targets with respect to the target
 * activations, then the method's map, ReLU, bilinear upsampling and normalisation. Only the
 * head is differentiated, so it runs on backends without convolution gradients (wasm).
 */
export class CamExplainer {
  readonly split: SplitModel;

  constructor(model: tf.LayersModel, targetLayer: string) {
    this.split = splitAtLayer(model, targetLayer);
  }

  /**
   * CAMs for a batch of normalised NHWC images. `targets[i]` says what to explain for image
   * i: a class index, a target function, or `undefined` for the predicted class.
   */
  compute(x: tf.Tensor4D, targets: ReadonlyArray<number | CamTarget | undefined>, method: CamMethod | string = 'gradcam'): CamResult {
    const m = typeof method === 'string' ? getCamMethod(method) : method;
    const [n, height, width] = x.shape;
    if (targets.length !== n) throw new TimError(`CAM: ${targets.length} targets for a batch of ${n} images`);
    return tf.tidy(() => {
      const activations = this.split.features.apply(x, { training: false }) as tf.Tensor4D;
      const logits = this.split.head(activations);
      // The predicted class stays on the device as a one-hot row: no read in the middle of the CAM.
      const predicted = targets.some((t) => t === undefined) ? tf.oneHot(tf.argMax<tf.Tensor1D>(logits, 1), logits.shape[1]).toFloat() : undefined;
      const fns = targets.map((t, i): CamTarget => {
        if (typeof t === 'function') return t;
        if (t !== undefined || !predicted) return classTarget(t ?? 0);
        const row = tf.squeeze<tf.Tensor1D>(tf.slice(predicted, [i, 0], [1, -1]), [0]);
        return (l) => tf.sum<tf.Scalar>(tf.mul(l, row));
      });
      let grads: tf.Tensor4D | undefined;
      if (m.usesGradients) {
        // Images are independent in inference mode, so the gradient of the summed scores
        // gives every image the gradient of its own score.
        const score = (a: tf.Tensor): tf.Scalar => {
          const l = this.split.head(a);
          const parts = fns.map((f, i) => f(tf.squeeze<tf.Tensor1D>(tf.slice(l, [i, 0], [1, -1]), [0])));
          return tf.addN<tf.Scalar>(parts);
        };
        grads = tf.grad(score)(activations) as tf.Tensor4D;
      }
      const context = { x, targets: fns, forward: (input: tf.Tensor4D) => this.split.head(this.split.features.apply(input, { training: false }) as tf.Tensor4D) };
      const coarse = tf.relu(m.map(activations, grads, context));
      const up = tf.image.resizeBilinear(tf.expandDims<tf.Tensor4D>(coarse, 3), [height, width], false, true);
      const maps = normalizePerImage(tf.squeeze<tf.Tensor3D>(up, [3]));
      return { maps, logits };
    });
  }
}

/** Explainers per (model, layer), so that repeated calls reuse the split model. */
const cache = new WeakMap<tf.LayersModel, Map<string, CamExplainer>>();

export function camExplainer(model: tf.LayersModel, targetLayer: string): CamExplainer {
  let perModel = cache.get(model);
  if (!perModel) {
    perModel = new Map();
    cache.set(model, perModel);
  }
  let e = perModel.get(targetLayer);
  if (!e) {
    e = new CamExplainer(model, targetLayer);
    perModel.set(targetLayer, e);
  }
  return e;
}
