import { z } from 'zod';
import { TimError } from '../../core/errors';
import { parseJsonText } from '../../io/json-file';
import { decodeElements, DTYPE_BYTES, numel, valueBudget, type StateDict } from './tensor';

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
  // Data order, as the file lays it out (a zero-length tensor before a longer one at the same place).
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  return { entries, metadata, dataStart: 8 + n };
}

/**
 * The tensors of a safetensors file. As the format's specification asks, the tensors' byte
 * ranges must tile the data exactly: in bounds, each exactly dtype × shape long, none
 * overlapping another and no gap between them, so no tensor can read another's bytes or bytes
 * that are not there.
 */
export function readSafetensors(buf: Buffer, file: string): StateDict {
  const { entries, dataStart } = readSafetensorsHeader(buf, file);
  const dataLength = buf.length - dataStart;
  const out: StateDict = new Map();
  const budget = valueBudget(file);
  let expectedBegin = 0;
  let previous = '';
  for (const [name, e] of entries) {
    const refuse = (what: string): never => {
      throw new TimError(`${file}: tensor '${name}' ${what}`);
    };
    const bytes = DTYPE_BYTES[e.dtype];
    if (bytes === undefined) return refuse(`has unsupported dtype ${e.dtype}`);
    const [begin, end] = e.data_offsets;
    const count = numel(e.shape);
    const span = `bytes [${begin}, ${end})`;
    if (!Number.isSafeInteger(count * bytes) || end - begin !== count * bytes) return refuse(`holds ${span}, but ${e.dtype} [${e.shape.join(', ')}] needs ${count * bytes} bytes`);
    if (end > dataLength) return refuse(`holds ${span}, past the ${dataLength} bytes of data; truncated?`);
    if (begin < expectedBegin) return refuse(`holds ${span}, overlapping '${previous}' (which ends at byte ${expectedBegin})`);
    if (begin > expectedBegin) return refuse(`holds ${span}, leaving bytes [${expectedBegin}, ${begin}) that no tensor holds`);
    budget(name, count);
    const data = decodeElements(buf, dataStart + begin, count, e.dtype);
    if (!data) return refuse(`has unsupported dtype ${e.dtype}`);
    out.set(name, { shape: e.shape, dtype: e.dtype, data, layout: 'torch' });
    expectedBegin = end;
    previous = name;
  }
  if (expectedBegin !== dataLength) throw new TimError(`${file}: ${dataLength - expectedBegin} bytes after the last tensor that no tensor holds; not a safetensors file as written`);
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
