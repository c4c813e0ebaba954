import { z } from 'zod';
import { TimError } from '../../core/errors';
import { parseJsonText } from '../../io/json-file';
import { decodeElements, DTYPE_BYTES, numel, type StateDict } from './tensor';

/**
 * Reads a `.safetensors` file: an 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the raw data.
 */
const headerEntrySchema = z.looseObject({
  dtype: z.string(),
  shape: z.array(z.number().int().min(0)),
  data_offsets: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
});
type HeaderEntry = z.infer<typeof headerEntrySchema>;

const headerSchema = z.object({ __metadata__: z.record(z.string(), z.string()).optional() }).catchall(headerEntrySchema);

export function looksLikeSafetensors(buf: Buffer): boolean {
  if (buf.length < 10) return false;
  const n = Number(buf.readBigUInt64LE(0));
  return n > 1 && 8 + n <= buf.length && buf[8] === 0x7b; // '{'
}

export function readSafetensorsHeader(buf: Buffer, file: string): { entries: Array<[string, HeaderEntry]>; metadata: Record<string, string>; dataStart: number } {
  if (buf.length < 8) throw new TimError(`${file}: too short to be a safetensors file`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new TimError(`${file}: safetensors header length ${n} runs past the end of the file; truncated or not safetensors`);
  const { __metadata__: metadata = {}, ...tensors } = parseJsonText(buf.toString('utf8', 8, 8 + n), `${file} (safetensors header)`, headerSchema);
  const entries: Array<[string, HeaderEntry]> = Object.entries(tensors);
  // Data order, as the file lays it out.
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  return { entries, metadata, dataStart: 8 + n };
}

export function readSafetensors(buf: Buffer, file: string): StateDict {
  const { entries, dataStart } = readSafetensorsHeader(buf, file);
  const out: StateDict = new Map();
  for (const [name, e] of entries) {
    const bytes = DTYPE_BYTES[e.dtype];
    if (bytes === undefined) throw new TimError(`${file}: '${name}' has unsupported dtype ${e.dtype}`);
    const [begin, end] = e.data_offsets;
    const count = numel(e.shape);
    if (end - begin !== count * bytes) {
      throw new TimError(`${file}: '${name}' holds ${end - begin} bytes, but ${e.dtype} [${e.shape.join(', ')}] needs ${count * bytes}`);
    }
    if (dataStart + end > buf.length) throw new TimError(`${file}: data of '${name}' runs past the end of the file; truncated?`);
    const data = decodeElements(buf, dataStart + begin, count, e.dtype);
    if (!data) throw new TimError(`${file}: '${name}' has unsupported dtype ${e.dtype}`);
    out.set(name, { shape: e.shape, dtype: e.dtype, data, layout: 'torch' });
  }
  return out;
}

/** Writes float32 tensors as safetensors (for tests and exports). */
export function encodeSafetensors(tensors: Array<[string, { shape: number[]; data: Float32Array }]>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json), ...tensors.map(([, t]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]);
}
