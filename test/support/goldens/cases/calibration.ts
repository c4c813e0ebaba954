import seedrandom from 'seedrandom';

/**
 * Seeded inputs of the calibration and unknown-artist reference (scripts/eval_calibration.py):
 * held-out logits with labels, some over- and some under-confident, and pairs of known/unknown
 * score lists, some with ties.
 */
export interface LogitCase {
  num_classes: number;
  labels: number[];
  /** n rows of K logits */
  logits: number[][];
}

export interface AurocCase {
  known: number[];
  unknown: number[];
}

export interface CalibrationCases {
  logits: LogitCase[];
  auroc: AurocCase[];
}

/** A standard normal draw (Box–Muller). */
function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

export function calibrationCases(): CalibrationCases {
  const rng = seedrandom('calibration-cases');
  const int = (n: number): number => Math.floor(rng() * n);
  const logits: LogitCase[] = [];
  // Scales from under- to over-confident; each case's labels agree with the logits' arg-max most of the time.
  const scales = [0.3, 0.7, 1, 2, 4, 8, 1.5, 3];
  scales.forEach((scale, c) => {
    const k = [2, 3, 5, 10, 31, 31, 7, 4][c] as number;
    const n = 30 + int(300);
    const labels: number[] = [];
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) {
      const y = int(k);
      const row = Array.from({ length: k }, () => scale * gaussian(rng));
      // The true class gets a boost most of the time; sometimes another class does.
      const boosted = rng() < 0.7 ? y : int(k);
      row[boosted]! += scale * (1 + rng());
      labels.push(y);
      rows.push(row.map((v) => Math.round(v * 1e6) / 1e6));
    }
    logits.push({ num_classes: k, labels, logits: rows });
  });
  const auroc: AurocCase[] = [];
  for (let c = 0; c < 12; c++) {
    const nk = 1 + int(200);
    const nu = 1 + int(200);
    const shift = rng() * 2;
    // Every third case rounds to two decimals, so tied scores occur within and across the groups.
    const round = (v: number): number => (c % 3 === 0 ? Math.round(v * 100) / 100 : v);
    auroc.push({
      known: Array.from({ length: nk }, () => round(shift + gaussian(rng))),
      unknown: Array.from({ length: nu }, () => round(gaussian(rng))),
    });
  }
  auroc.push({ known: [1, 1, 1], unknown: [1, 1] });
  auroc.push({ known: [0.9, 0.8], unknown: [0.1] });
  return { logits, auroc };
}
