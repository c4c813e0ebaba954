/** Draws from seeded [0, 1) generators (seedrandom), for the augmentations' parameters. */

/** An integer uniform in [lo, hi), as `torch.randint(lo, hi)` and numpy's `randint(lo, hi)`. */
export function randomInt(rng: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo));
}

/** A standard normal draw (Box–Muller; 1 - u keeps the logarithm finite). */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/**
 * log of a Gamma(a, 1) draw: Marsaglia and Tsang's method, with Gamma(a) = Gamma(a + 1)·U^(1/a)
 * below a = 1, kept in logarithms so that small shapes (α = 0.2) do not underflow to 0.
 */
function logGamma(rng: () => number, a: number): number {
  if (a < 1) return logGamma(rng, a + 1) + Math.log(1 - rng()) / a;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return Math.log(d) + Math.log(v);
  }
}

/** A Beta(a, b) draw, as G_a / (G_a + G_b). */
export function sampleBeta(rng: () => number, a: number, b: number): number {
  const la = logGamma(rng, a);
  const lb = logGamma(rng, b);
  return 1 / (1 + Math.exp(lb - la));
}
