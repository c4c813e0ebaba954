/** The rational approximation of kernels.wat's erf (scripts/fit_erf.py), for values it does not reach. */
export const ERF_P = [1.128378868, 2.059627771e-1, 5.13661094e-2, 3.958968446e-3, 1.480445499e-4, -1.976510703e-6, 1.966648355e-8];
export const ERF_Q = [1, 5.158590078e-1, 1.1749091e-1, 1.486765128e-2, 1.018785406e-3];

function horner(coefs: number[], t: number): number {
  let acc = 0;
  for (let k = coefs.length - 1; k >= 0; k--) acc = acc * t + (coefs[k] as number);
  return acc;
}

/** erf(x) as kernels.wat computes it: x·P(x²)/Q(x²), x clamped to [−4, 4]. */
export function erfApproximation(x: number): number {
  const v = Math.min(4, Math.max(-4, x));
  return (v * horner(ERF_P, v * v)) / horner(ERF_Q, v * v);
}
