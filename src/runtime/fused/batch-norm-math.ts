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
  for (let k = 0; k < c; k++) {
    const m1 = (s1[k] as number) / rows;
    const v = Math.max(0, (s2[k] as number) / rows - m1 * m1);
    const m = m1 + (shift[k] as number);
    mean[k] = m;
    variance[k] = v;
    const a = (gamma[k] as number) / Math.sqrt(v + epsilon);
    scale[k] = a;
    offset[k] = (beta[k] as number) - m * a;
  }
  affine(x, scale, offset, y);
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
  for (let k = 0; k < c; k++) {
    const inv = 1 / Math.sqrt((variance[k] as number) + epsilon);
    const g = gamma[k] as number;
    dbeta[k] = sumDy[k] as number;
    dgamma[k] = (sumDyXc[k] as number) * inv;
    const ak = g * inv;
    const bk = (-g * inv * inv * inv * (sumDyXc[k] as number)) / rows;
    a[k] = ak;
    b[k] = bk;
    d[k] = (-ak * (sumDy[k] as number)) / rows - bk * (mean[k] as number);
  }
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    for (let k = 0; k < c; k++) dx[o + k] = (a[k] as number) * (dy[o + k] as number) + (b[k] as number) * (x[o + k] as number) + (d[k] as number);
  }
}
