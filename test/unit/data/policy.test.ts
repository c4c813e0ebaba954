import seedrandom from 'seedrandom';
import { applyPolicyOp, drawCropBox, drawPolicy, parsePolicy, POLICY_OPS, type PolicyOp, resizedCrop } from '../../../src/data';
import { CROP_CASES, CROP_FALLBACKS, cropBoxOf, POLICY_CASES, POLICY_SIZES, policyImage } from '../../support/goldens/cases/torchvision-policy';
import { loadGolden } from '../../support/goldens/golden';

interface Spaces {
  spaces: Record<string, Record<'trivialaugment' | 'randaugment', Record<string, { bins: number[]; signed: boolean }>>>;
  fallbacks: number[][];
}

const golden = loadGolden('torchvision-policy');

/** Mean and largest absolute difference in grey levels, and the share of equal bytes. */
function difference(got: Uint8Array, want: Uint8Array): { mean: number; max: number; equal: number } {
  let sum = 0;
  let max = 0;
  let equal = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs((got[i] ?? 0) - (want[i] ?? 0));
    sum += d;
    max = Math.max(max, d);
    if (d === 0) equal++;
  }
  return { mean: sum / want.length, max, equal: equal / want.length };
}

describe.each(POLICY_SIZES)('torchvision’s operations on a %i×%i uint8 image', (size) => {
  const per = size * size * 3;
  const image = policyImage(size);

  it.each(POLICY_CASES.map((c, i) => [c[0], c[1], i] as const))('%s at %d matches torchvision within a grey level', (op, magnitude, i) => {
    const want = golden.read(`ops-${size}.u8`).subarray(i * per, (i + 1) * per);
    const got = new Uint8Array(per);
    applyPolicyOp(op as PolicyOp, magnitude, image, got, size);
    const d = difference(got, want);
    expect(d.mean).toBeLessThanOrEqual(1);
    // Only float32 rounding at a tie may differ: almost every byte is equal.
    expect(d.equal).toBeGreaterThan(0.97);
  });

  it('RandomResizedCrop’s bilinear resize matches resized_crop, with antialias off and on', () => {
    const crops = golden.read(`crops-${size}.u8`);
    CROP_CASES.forEach((c, k) => {
      const [top, left, height, width] = cropBoxOf(c, size);
      const got = new Uint8Array(per);
      resizedCrop(image, got, size, { top, left, height, width });
      for (const aa of [0, 1]) {
        const want = crops.subarray((2 * k + aa) * per, (2 * k + aa + 1) * per);
        const d = difference(got, want);
        expect(d.mean).toBeLessThanOrEqual(0.01);
        expect(d.max).toBeLessThanOrEqual(1);
      }
    });
  });

  it('has torchvision’s magnitude bins and signs for both policies', () => {
    const spaces = golden.json<Spaces>('spaces.json').spaces[String(size)];
    for (const kind of ['trivialaugment', 'randaugment'] as const) {
      const want = spaces?.[kind] ?? {};
      expect(Object.keys(want)).toEqual([...POLICY_OPS]);
      for (const op of POLICY_OPS) {
        const { bins, signed } = want[op] ?? { bins: [], signed: false };
        const policy = kind === 'trivialaugment' ? parsePolicy('trivialaugment') : undefined;
        // Every bin of every op, read through drawPolicy with generators that pick it.
        for (let bin = 0; bin < Math.max(1, bins.length); bin++) {
          for (const negative of [false, true]) {
            const u = [(POLICY_OPS.indexOf(op) + 0.5) / POLICY_OPS.length, ...(policy ? [(bin + 0.5) / 31] : []), negative ? 0.25 : 0.75];
            let k = 0;
            const rng = (): number => u[k++ % u.length] ?? 0;
            const [step] = drawPolicy(rng, policy ?? { kind: 'randaugment', n: 1, m: bin }, size);
            expect(step?.op).toBe(op);
            const magnitude = bins[bin] ?? 0;
            expect(step?.magnitude).toBeCloseTo(signed && negative ? -magnitude : magnitude, 4);
          }
        }
      }
    }
  });
});

describe('RandomResizedCrop parameters', () => {
  it('falls back to torchvision’s centre crop when no try fits', () => {
    const want = golden.json<Spaces>('spaces.json').fallbacks;
    CROP_FALLBACKS.forEach((fb, i) => {
      const box = drawCropBox(seedrandom(`fb${i}`), fb.size[0], fb.size[1], fb);
      expect([box.top, box.left, box.height, box.width]).toEqual(want[i]);
    });
  });
});
