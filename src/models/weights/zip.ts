import * as zlib from 'zlib';
import { TimError } from '../../core/errors';

/**
 * A minimal reader for the zip archives torch.save writes (stored entries, zip64 records when
 * large); deflated entries are inflated with node's zlib.
 */
export interface ZipEntry {
  name: string;
  /** The uncompressed size the archive declares; read() returns exactly this many bytes or refuses. */
  size: number;
  read(): Buffer;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === LOCAL;
}

export function readZip(buf: Buffer, file: string): Map<string, ZipEntry> {
  const fail = (what: string): never => {
    throw new TimError(`${file}: corrupt zip archive (${what})`);
  };
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record; truncated?');
  let count = buf.readUInt16LE(eocd + 10);
  let dirOffset = buf.readUInt32LE(eocd + 16);
  if ((count === 0xffff || dirOffset === 0xffffffff) && eocd >= 20 && buf.readUInt32LE(eocd - 20) === ZIP64_LOCATOR) {
    const rec = Number(buf.readBigUInt64LE(eocd - 20 + 8));
    if (rec + 56 > buf.length || buf.readUInt32LE(rec) !== ZIP64_EOCD) fail('bad zip64 record');
    count = Number(buf.readBigUInt64LE(rec + 32));
    dirOffset = Number(buf.readBigUInt64LE(rec + 48));
  }
  const entries = new Map<string, ZipEntry>();
  let p = dirOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) fail(`bad central directory entry ${n}`);
    const method = buf.readUInt16LE(p + 10);
    let compressed = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    // zip64 extra field: the 64-bit values of whichever fields are saturated, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    if (extraEnd + commentLen > buf.length) fail(`central directory entry ${n} runs past the end of the file`);
    while (e + 4 <= extraEnd) {
      const id = buf.readUInt16LE(e);
      const len = buf.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const u64 = (): number => {
          if (q + 8 > Math.min(e + 4 + len, extraEnd)) fail(`zip64 field of ${name} is too short`);
          q += 8;
          return Number(buf.readBigUInt64LE(q - 8));
        };
        if (size === 0xffffffff) size = u64();
        if (compressed === 0xffffffff) compressed = u64();
        if (local === 0xffffffff) local = u64();
      }
      e += 4 + len;
    }
    p = extraEnd + commentLen;
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) fail(`bad local header for ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + compressed > buf.length) fail(`${name} runs past the end of the file; truncated?`);
    if (method === 0 && compressed !== size) fail(`${name} is stored uncompressed but declares ${size} bytes in ${compressed}`);
    entries.set(name, {
      name,
      size,
      read: () => {
        const raw = buf.subarray(start, start + compressed);
        if (method === 0) return raw;
        if (method !== 8) return fail(`${name} uses unsupported compression method ${method}`);
        let out: Buffer;
        try {
          // Never more than the declared size: a small entry that inflates without end is refused, not held.
          out = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, size) });
        } catch (e) {
          return fail(`${name} does not inflate to its declared ${size} bytes: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (out.length !== size) fail(`${name} inflates to ${out.length} bytes, not its declared ${size}`);
        return out;
      },
    });
  }
  return entries;
}
