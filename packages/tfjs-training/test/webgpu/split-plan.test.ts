import * as fc from 'fast-check';
import { longReduction } from '../../src/webgpu/batch-matmul';
import { planSplit, SLICE_MAX } from '../../src/webgpu/split-plan';

describe('splitting a reduction', () => {
  it('covers it exactly once in slices of at most SLICE_MAX, multiples of the tile depth', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 10_000_000 }), (length, groups, outputs) => {
        const { splits, slice } = planSplit(length, { groupsPerSlice: groups, targetGroups: 1024, outputs });
        expect(slice % 16).toBe(0);
        expect(slice).toBeLessThanOrEqual(SLICE_MAX);
        expect(splits * slice).toBeGreaterThanOrEqual(length);
        expect((splits - 1) * slice).toBeLessThan(length);
      }),
    );
  });

  it('makes more slices while the grid would leave a large GPU idle, but not shorter than 256', () => {
    // ResNet's stem: 3 tiles of 64×64 weights; slices rounded up to the tile depth.
    expect(3 * planSplit(401_408, { groupsPerSlice: 3, targetGroups: 1024, outputs: 147 * 64 }).splits).toBeGreaterThanOrEqual(1000);
    expect(planSplit(1_000, { groupsPerSlice: 1, targetGroups: 1024, outputs: 10 }).slice).toBeGreaterThanOrEqual(256);
    expect(planSplit(1_568, { groupsPerSlice: 576, targetGroups: 1024, outputs: 4608 * 512 }).splits).toBe(2);
  });
});

describe('a long reduction', () => {
  it('is a single aᵀ·b over more rows than one tiled slice sums', () => {
    // Short reductions, other transpositions and batched products stay on the stock kernel.
    const t = (shape: number[]) => ({ dataId: {}, dtype: 'float32' as const, shape });
    expect(longReduction(t([1, 512, 8]), t([1, 512, 8]), { transposeA: true, transposeB: false })).toBeNull();
    expect(longReduction(t([1, 5000, 8]), t([1, 8, 5000]), { transposeA: true, transposeB: true })).toBeNull();
    expect(longReduction(t([2, 5000, 8]), t([2, 5000, 8]), { transposeA: true, transposeB: false })).toBeNull();
    expect(longReduction(t([1, 50_176, 96]), t([1, 50_176, 384]), { transposeA: true, transposeB: false })).toEqual({ k: 50_176, m: 96, n: 384 });
  });
});
