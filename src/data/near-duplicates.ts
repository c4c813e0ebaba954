import sharp from 'sharp';
import { oneLine, TimError } from '../core/errors';
import { recordedHashes } from './hash-record';

/**
 * Near-duplicate images (the same painting scanned twice, resized, re-encoded or slightly
 * cropped) found by a perceptual hash: the picture's luma, averaged down to 32×32, its 2-D
 * DCT-II, and one bit per coefficient of the lowest 8×8 frequencies saying whether it is above
 * their median. Two images whose 64 bits differ in at most {@link NEAR_DUPLICATE_THRESHOLD}
 * places are near-duplicates; chains of such pairs form a group.
 */

/** Side of the averaged luma grid, and of the low-frequency block kept. */
const GRID = 32;
const BLOCK = 8;

/** What split.json and `data inspect` record about the method. */
export const NEAR_DUPLICATE_METHOD = 'dct-phash-64';

/**
 * Largest Hamming distance (of 64 bits) between near-duplicates. Measured on the 747 synthetic
 * paintings (seed 42) by scripts/measure-near-duplicates.ts: no pair of distinct paintings is
 * within it (0 of 278,631; the closest pair differs in 12 bits), every half-size, double-size
 * and JPEG-60 copy is, 98% of copies cropped by 2% on each side are, and 36% of 5% crops.
 */
export const NEAR_DUPLICATE_THRESHOLD = 10;

/** Longest side images are shrunk to (by sharp, before hashing) to keep decoding quick. */
const HASH_DECODE_MAX = 512;

/**
 * The 64-bit perceptual hash of RGB pixels (row-major, 3 channels) as 16 hex digits. Luma is
 * ITU-R 601 (as Pillow's 'L'), averaged over exact pixel areas onto the 32×32 grid.
 */
export function perceptualHash(rgb: ArrayLike<number>, width: number, height: number): string {
  if (rgb.length !== width * height * 3 || width < 1 || height < 1) throw new TimError(`perceptual hash: ${rgb.length} values for a ${width}×${height} RGB image`);
  const grid = areaAverage(rgb, width, height);
  const coeffs = dctLowBlock(grid);
  const sorted = Array.from(coeffs).sort((a, b) => a - b);
  const median = ((sorted[31] as number) + (sorted[32] as number)) / 2;
  let hex = '';
  for (let nibble = 0; nibble < 16; nibble++) {
    let v = 0;
    for (let b = 0; b < 4; b++) v = (v << 1) | ((coeffs[nibble * 4 + b] as number) > median ? 1 : 0);
    hex += v.toString(16);
  }
  return hex;
}

/** The luma of each pixel averaged over the part of it that falls in each of the 32×32 cells. */
function areaAverage(rgb: ArrayLike<number>, width: number, height: number): Float64Array {
  const luma = new Float64Array(width * height);
  for (let i = 0; i < luma.length; i++) luma[i] = 0.299 * (rgb[3 * i] as number) + 0.587 * (rgb[3 * i + 1] as number) + 0.114 * (rgb[3 * i + 2] as number);
  // Overlap of source pixel p with cell c along one axis, as weights per cell.
  const weights = (n: number): Array<Array<[number, number]>> =>
    Array.from({ length: GRID }, (_, c) => {
      const lo = (c * n) / GRID;
      const hi = ((c + 1) * n) / GRID;
      const out: Array<[number, number]> = [];
      for (let p = Math.floor(lo); p < Math.min(n, Math.ceil(hi)); p++) {
        const w = Math.min(hi, p + 1) - Math.max(lo, p);
        if (w > 0) out.push([p, w]);
      }
      return out;
    });
  const wx = weights(width);
  const wy = weights(height);
  const grid = new Float64Array(GRID * GRID);
  const area = (width / GRID) * (height / GRID);
  for (let cy = 0; cy < GRID; cy++) {
    for (let cx = 0; cx < GRID; cx++) {
      let sum = 0;
      for (const [y, a] of wy[cy] as Array<[number, number]>) {
        for (const [x, b] of wx[cx] as Array<[number, number]>) sum += a * b * (luma[y * width + x] as number);
      }
      grid[cy * GRID + cx] = sum / area;
    }
  }
  return grid;
}

/** DCT-II basis without normalisation: 2·cos(π·k·(2n+1)/(2N)), as scipy.fftpack.dct's default. */
const BASIS = Array.from({ length: BLOCK }, (_, k) => Array.from({ length: GRID }, (_, n) => 2 * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * GRID))));

/** The lowest 8×8 coefficients of the 2-D DCT-II of the grid (rows then columns), row-major. */
function dctLowBlock(grid: Float64Array): Float64Array {
  // Along x for every row, keeping the 8 lowest frequencies...
  const rows = new Float64Array(GRID * BLOCK);
  for (let y = 0; y < GRID; y++) {
    for (let k = 0; k < BLOCK; k++) {
      const basis = BASIS[k] as number[];
      let s = 0;
      for (let x = 0; x < GRID; x++) s += (grid[y * GRID + x] as number) * (basis[x] as number);
      rows[y * BLOCK + k] = s;
    }
  }
  // ...then along y.
  const out = new Float64Array(BLOCK * BLOCK);
  for (let ky = 0; ky < BLOCK; ky++) {
    const basis = BASIS[ky] as number[];
    for (let kx = 0; kx < BLOCK; kx++) {
      let s = 0;
      for (let y = 0; y < GRID; y++) s += (rows[y * BLOCK + kx] as number) * (basis[y] as number);
      out[ky * BLOCK + kx] = s;
    }
  }
  return out;
}

const POPCOUNT4 = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

function popcount32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Number of differing bits of two hashes. */
export function hammingDistance(a: string, b: string): number {
  if (a.length !== b.length) throw new TimError(`perceptual hashes of different lengths: '${a}' and '${b}'`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d += POPCOUNT4[parseInt(a[i] as string, 16) ^ parseInt(b[i] as string, 16)] as number;
  return d;
}

/** The hash of an image file, decoded upright by sharp (large images shrunk first). */
export async function hashImageFile(file: string): Promise<string> {
  try {
    const { data, info } = await sharp(file, { failOn: 'truncated', pages: 1, autoOrient: true })
      .resize(HASH_DECODE_MAX, HASH_DECODE_MAX, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return perceptualHash(data, info.width, info.height);
  } catch (e) {
    throw new TimError(`${file}: cannot read image for near-duplicate check (${oneLine(e)})`);
  }
}

/**
 * Groups (of two or more) of near-duplicate paths: the connected parts of the graph joining
 * every pair within `threshold`. Groups and their members are sorted by path.
 */
export function groupNearDuplicates(hashes: ReadonlyMap<string, string>, threshold = NEAR_DUPLICATE_THRESHOLD): string[][] {
  const paths = [...hashes.keys()].sort();
  const parent = paths.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  // Two 32-bit halves per hash: all pairs of a large data set are compared.
  const hi = Uint32Array.from(paths, (p) => parseInt((hashes.get(p) as string).slice(0, 8), 16));
  const lo = Uint32Array.from(paths, (p) => parseInt((hashes.get(p) as string).slice(8, 16), 16));
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      if (popcount32(((hi[i] as number) ^ (hi[j] as number)) >>> 0) + popcount32(((lo[i] as number) ^ (lo[j] as number)) >>> 0) <= threshold) {
        const a = find(i);
        const b = find(j);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const groups = new Map<number, string[]>();
  paths.forEach((p, i) => {
    const r = find(i);
    groups.set(r, [...(groups.get(r) ?? []), p]);
  });
  return [...groups.values()].filter((g) => g.length > 1).sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
}

/** What split.json records about near-duplicates. */
export interface NearDuplicateRecord {
  method: string;
  threshold: number;
  /** Groups of two or more paths (relative to the data root) kept on one side of the split. */
  groups: string[][];
}

/**
 * Hashes every image of a data set (paths relative to `root`) and groups the near-duplicates.
 * Hashes are remembered in the data set's cache folder (`cacheDir`, as `data.cache_dir`), so
 * only new or changed images are decoded again.
 */
export async function findNearDuplicates(root: string, paths: readonly string[], opts: { cacheDir?: string; onProgress?: (done: number) => void } = {}): Promise<NearDuplicateRecord> {
  const hashes = await recordedHashes(root, paths, { method: NEAR_DUPLICATE_METHOD, hashFile: hashImageFile, ...opts });
  return { method: NEAR_DUPLICATE_METHOD, threshold: NEAR_DUPLICATE_THRESHOLD, groups: groupNearDuplicates(new Map(paths.map((p, i) => [p, hashes[i] as string]))) };
}
