/**
 * Batch normalisation over the last axis of a [rows, channels] array, in a few passes over flat
 * typed arrays. Statistics accumulate in float64 around a per-channel shift (the first row), so
 * the one-pass variance does not cancel catastrophically.
 */

/** y = (x − mean) / √(var + ε) · γ + β with the batch's own mean and (biased) variance. */
export function batchNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  y: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
): void {
  const c = gamma.length;
  const rows = x.length / c;
  const shift = new Float64Array(c);
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let k = 0; k < c; k++) shift[k] = x[k] ?? 0;
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) {
      const d = (x[o + k] as number) - (shift[k] as number);
      s1[k] = (s1[k] as number) + d;
      s2[k] = (s2[k] as number) + d * d;
    }
  }
  const scale = new Float32Array(c);
  const offset = new Float32Array(c);
  forwardCoefficients({ s1, s2, shift, rows, gamma, beta, epsilon }, { mean, variance, scale, offset });
  affine(x, scale, offset, y);
}

/**
 * From the shifted sums s1 = Σ(x − shift) and s2 = Σ(x − shift)² per channel: the batch mean
 * and variance, and the scale and offset that normalise, scale by γ and shift by β in one step.
 */
export function forwardCoefficients(
  t: { s1: ArrayLike<number>; s2: ArrayLike<number>; shift: ArrayLike<number>; rows: number; gamma: Float32Array; beta: Float32Array; epsilon: number },
  out: { mean: Float32Array; variance: Float32Array; scale: Float32Array; offset: Float32Array },
): void {
  for (let k = 0; k < t.gamma.length; k++) {
    const m1 = (t.s1[k] as number) / t.rows;
    const v = Math.max(0, (t.s2[k] as number) / t.rows - m1 * m1);
    const m = m1 + (t.shift[k] as number);
    out.mean[k] = m;
    out.variance[k] = v;
    const a = (t.gamma[k] as number) / Math.sqrt(v + t.epsilon);
    out.scale[k] = a;
    out.offset[k] = (t.beta[k] as number) - m * a;
  }
}

/** y[r, k] = x[r, k] · scale[k] + offset[k]. */
export function affine(x: Float32Array, scale: Float32Array, offset: Float32Array, y: Float32Array): void {
  const c = scale.length;
  const rows = x.length / c;
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) y[o + k] = (x[o + k] as number) * (scale[k] as number) + (offset[k] as number);
  }
}

/**
 * Gradients of batchNormForward with respect to x, γ and β, the batch statistics' own dependence
 * on x included: dx = a·dy + b·x + d per channel, after one pass for Σdy and Σdy·(x − mean).
 */
export function batchNormBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  epsilon: number,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const c = gamma.length;
  const rows = x.length / c;
  const sumDy = new Float64Array(c);
  const sumDyXc = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) {
      const g = dy[o + k] as number;
      sumDy[k] = (sumDy[k] as number) + g;
      sumDyXc[k] = (sumDyXc[k] as number) + g * ((x[o + k] as number) - (mean[k] as number));
    }
  }
  const a = new Float32Array(c);
  const b = new Float32Array(c);
  const d = new Float32Array(c);
  backwardCoefficients({ sumDy, sumDyXc, rows, gamma, mean, variance, epsilon }, { dgamma, dbeta, a, b, d });
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) dx[o + k] = (a[k] as number) * (dy[o + k] as number) + (b[k] as number) * (x[o + k] as number) + (d[k] as number);
  }
}

/**
 * From Σdy and Σdy·(x − mean) per channel: dγ, dβ, and the coefficients of dx = a·dy + b·x + d,
 * which carry the batch statistics' own dependence on x.
 */
export function backwardCoefficients(
  t: { sumDy: ArrayLike<number>; sumDyXc: ArrayLike<number>; rows: number; gamma: Float32Array; mean: Float32Array; variance: Float32Array; epsilon: number },
  out: { dgamma: Float32Array; dbeta: Float32Array; a: Float32Array; b: Float32Array; d: Float32Array },
): void {
  for (let k = 0; k < t.gamma.length; k++) {
    const inv = 1 / Math.sqrt((t.variance[k] as number) + t.epsilon);
    const g = t.gamma[k] as number;
    out.dbeta[k] = t.sumDy[k] as number;
    out.dgamma[k] = (t.sumDyXc[k] as number) * inv;
    const ak = g * inv;
    const bk = (-g * inv * inv * inv * (t.sumDyXc[k] as number)) / t.rows;
    out.a[k] = ak;
    out.b[k] = bk;
    out.d[k] = (-ak * (t.sumDy[k] as number)) / t.rows - bk * (t.mean[k] as number);
  }
}

/**
 * The moving statistics after one training step, as PyTorch's BatchNorm2d keeps them:
 * moving − (moving − batch) · (1 − momentum), the variance's batch value unbiased by
 * count/(count − 1); float32 operations in the order of the composed tfjs ops.
 */
export function movingAverages(
  prev: { mean: Float32Array; variance: Float32Array },
  batch: { mean: Float32Array; variance: Float32Array },
  momentum: number,
  count: number,
  out: { mean: Float32Array; variance: Float32Array },
): void {
  const f = Math.fround;
  const keep = f(1 - momentum);
  const unbias = f(count / (count - 1));
  for (let k = 0; k < prev.mean.length; k++) {
    const pm = prev.mean[k] as number;
    const pv = prev.variance[k] as number;
    out.mean[k] = f(pm - f(f(pm - (batch.mean[k] as number)) * keep));
    out.variance[k] = f(pv - f(f(pv - f((batch.variance[k] as number) * unbias)) * keep));
  }
}
