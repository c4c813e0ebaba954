import { TimError } from '../../core/errors';

/**
 * A tensor read from a weight file, before it is placed in a model. `layout` says whose axis
 * order it uses: PyTorch's (OIHW convolutions, [out, in] linear weights) or tfjs/Keras's
 * (HWIO, [in, out]).
 */
export interface RawTensor {
  shape: number[];
  /** Source dtype as the file names it (F32, F16, BF16, F64, I64, ...). */
  dtype: string;
  /** Values as float32 (integers converted; int64 buffers such as num_batches_tracked included). */
  data: Float32Array;
  layout: 'torch' | 'tf';
}

/** Weight name -> tensor, in file order. */
export type StateDict = Map<string, RawTensor>;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The most values Tim reads from one weight file: about twice the largest architecture it
 * builds (ConvNeXt-Tiny, 28.6 M), so no file can make it allocate more than this many floats,
 * whatever its headers claim.
 */
export const MAX_WEIGHT_VALUES = 2 ** 26;

/**
 * Counts values against MAX_WEIGHT_VALUES as a file's tensors are read, refusing the tensor
 * that would pass it, by name.
 */
export function valueBudget(file: string, max = MAX_WEIGHT_VALUES): (name: string, count: number) => void {
  let used = 0;
  return (name, count) => {
    used += count;
    if (used > max) throw new TimError(`${file}: tensor '${name}' would bring the values read to ${used.toLocaleString('en-US')}, more than the ${max.toLocaleString('en-US')} any architecture Tim builds needs; not a weight file for Tim`);
  };
}

/** Whether every entry is a whole number ≥ 0 that a double holds exactly. */
export function isCountList(values: readonly unknown[]): values is number[] {
  return values.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
}

/** IEEE half precision to float32. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Bytes per element of the dtypes Tim reads, by safetensors' names. */
export const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/**
 * Decodes `count` little-endian elements of `dtype` starting at `offset` into float32.
 * Returns undefined for a dtype Tim does not read.
 */
export function decodeElements(buf: Buffer, offset: number, count: number, dtype: string): Float32Array | undefined {
  const out = new Float32Array(count);
  const view = new DataView(buf.buffer, buf.byteOffset + offset, count * (DTYPE_BYTES[dtype] ?? 0));
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    case 'BF16': {
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      return out;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      return out;
    default:
      return undefined;
  }
}
