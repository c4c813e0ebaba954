import { DEPTH, roundUp } from './tiled-gemm';

/**
 * How a long reduction (n·oh·ow in a filter gradient) is cut into slices that workgroups sum
 * side by side (split-K), with a second pass adding the slices.
 */
export interface SplitPlan {
  /** Number of slices of the reduction (1: no second pass). */
  splits: number;
  /** Reduction indices per slice (a multiple of the tile depth). */
  slice: number;
}

/** The longest slice of a filter gradient's reduction one invocation sums. */
export const SLICE_MAX = 4096;
/** Slices are made no shorter than this, however many workgroups that leaves idle. */
const SLICE_MIN = 256;
/** The partial sums of all slices stay under this many bytes where SLICE_MAX allows. */
const PARTIAL_BYTES_MAX = 64 * 2 ** 20;

export interface SplitTarget {
  /** Workgroups that one slice's grid has. */
  groupsPerSlice: number;
  /** Workgroups that fill a large GPU with this workgroup size. */
  targetGroups: number;
  /** Values each slice writes. */
  outputs: number;
  /** The longest slice allowed (default SLICE_MAX). */
  sliceMax?: number;
}

/** Slices no longer than SLICE_MAX, and more of them (down to SLICE_MIN) while the GPU would idle. */
export function planSplit(length: number, target: SplitTarget): SplitPlan {
  const fewest = Math.ceil(length / (target.sliceMax ?? SLICE_MAX));
  const most = Math.max(1, Math.ceil(length / SLICE_MIN));
  const forOccupancy = Math.ceil(target.targetGroups / Math.max(1, target.groupsPerSlice));
  const forMemory = Math.max(1, Math.floor(PARTIAL_BYTES_MAX / (4 * target.outputs)));
  const wanted = Math.max(fewest, Math.min(forOccupancy, most, forMemory));
  const slice = roundUp(Math.ceil(length / wanted), DEPTH);
  return { splits: Math.ceil(length / slice), slice };
}
