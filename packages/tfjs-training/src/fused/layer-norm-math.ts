/**
 * Layer normalisation over the last axis of a [rows, channels] array: each row is normalised by
 * its own mean and variance, then scaled by γ and shifted by β per channel.
 */

/** y = (x − mean) · rstd · γ + β per row; writes each row's mean and 1/√(var + ε). */
export function layerNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  y: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  const c = gamma.length;
  const rows = x.length / c;
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    let s = 0;
    for (let k = 0; k < c; k++) s += x[o + k] as number;
    const m = s / c;
    let v = 0;
    for (let k = 0; k < c; k++) {
      const d = (x[o + k] as number) - m;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / c + epsilon);
    mean[r] = m;
    rstd[r] = inv;
    for (let k = 0; k < c; k++) y[o + k] = ((x[o + k] as number) - m) * inv * (gamma[k] as number) + (beta[k] as number);
  }
}

/**
 * Gradients of layerNormForward: with g = dy · γ and x̂ the normalised row,
 * dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)), dγ = Σ_rows dy · x̂, dβ = Σ_rows dy.
 */
export function layerNormBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const c = gamma.length;
  const rows = x.length / c;
  const accGamma = new Float64Array(c);
  const accBeta = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const o = r * c;
    const m = mean[r] as number;
    const inv = rstd[r] as number;
    let sg = 0;
    let sgx = 0;
    for (let k = 0; k < c; k++) {
      const d = dy[o + k] as number;
      const xh = ((x[o + k] as number) - m) * inv;
      const g = d * (gamma[k] as number);
      sg += g;
      sgx += g * xh;
      accGamma[k] = (accGamma[k] as number) + d * xh;
      accBeta[k] = (accBeta[k] as number) + d;
    }
    const mg = sg / c;
    const mgx = sgx / c;
    for (let k = 0; k < c; k++) {
      const xh = ((x[o + k] as number) - m) * inv;
      dx[o + k] = inv * ((dy[o + k] as number) * (gamma[k] as number) - mg - xh * mgx);
    }
  }
  for (let k = 0; k < c; k++) {
    dgamma[k] = accGamma[k] as number;
    dbeta[k] = accBeta[k] as number;
  }
}
