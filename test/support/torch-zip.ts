import * as zlib from 'zlib';

/**
 * Writers of the bytes torch.save produces (a zip archive of a pickled state dict and one
 * entry per storage), for building hostile weight files in tests: each field can be given any
 * value, lies included.
 */

export interface ZipEntrySpec {
  name: string;
  /** The bytes as stored in the archive (already deflated when method is 8). */
  data: Buffer;
  method?: 0 | 8;
  /** The uncompressed size the headers declare; default data's length. */
  declaredSize?: number;
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A zip archive of the entries, with local headers, a central directory and its end record. */
export function zipArchive(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const size = e.declaredSize ?? e.data.length;
    const crc = e.method === 8 ? 0 : crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method ?? 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.method ?? 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** A raw deflate stream of `mib` MiB of zeros, about 1 KiB per MiB: repeated fully flushed blocks, then an empty final one. */
export function zeroBomb(mib: number): Buffer {
  const block = zlib.deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zlib.constants.Z_FULL_FLUSH });
  return Buffer.concat([...new Array<Buffer>(mib).fill(block), Buffer.from([0x03, 0x00])]);
}

/** One tensor of a pickled state dict: its storage reference and its view, any values allowed. */
export interface TensorSpec {
  name: string;
  storageKey: string;
  storageType?: string;
  /** The storage's value count as recorded in the persistent id. */
  numel: number;
  offset: number;
  size: number[];
  stride: number[];
}

const op = (...bytes: number[]) => Buffer.from(bytes);
const text = (s: string) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.length);
  return Buffer.concat([op(0x58), len, b]);
};
const global = (module: string, name: string) => Buffer.concat([op(0x63), Buffer.from(`${module}\n${name}\n`, 'latin1')]);
function int(v: number): Buffer {
  if (Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31) {
    const b = Buffer.alloc(5);
    b.writeUInt8(0x4a);
    b.writeInt32LE(v, 1);
    return b;
  }
  const b = Buffer.alloc(10);
  b.writeUInt8(0x8a);
  b.writeUInt8(8, 1);
  b.writeBigInt64LE(BigInt(v), 2);
  return b;
}
const tuple = (items: Buffer[]) => Buffer.concat([op(0x28), ...items, op(0x74)]);
const orderedDict = () => Buffer.concat([global('collections', 'OrderedDict'), op(0x29, 0x52)]);

/** A protocol-2 pickle of an OrderedDict of tensors, as torch.save writes `data.pkl`. */
export function statePickle(tensors: readonly TensorSpec[]): Buffer {
  const items = tensors.map((t) =>
    Buffer.concat([
      text(t.name),
      global('torch._utils', '_rebuild_tensor_v2'),
      tuple([
        tuple([text('storage'), global('torch', t.storageType ?? 'FloatStorage'), text(t.storageKey), text('cpu'), int(t.numel)]),
        op(0x51),
        int(t.offset),
        tuple(t.size.map(int)),
        tuple(t.stride.map(int)),
        op(0x89),
        orderedDict(),
      ]),
      op(0x52),
    ]),
  );
  return Buffer.concat([op(0x80, 0x02), orderedDict(), op(0x28), ...items, op(0x75, 0x2e)]);
}

/** A torch.save-style archive: `archive/data.pkl` and one `archive/data/<key>` per storage. */
export function torchFile(tensors: readonly TensorSpec[], storages: Record<string, Buffer | Omit<ZipEntrySpec, 'name'>>): Buffer {
  return zipArchive([
    { name: 'archive/data.pkl', data: statePickle(tensors) },
    ...Object.entries(storages).map(([key, s]) => (Buffer.isBuffer(s) ? { name: `archive/data/${key}`, data: s } : { name: `archive/data/${key}`, ...s })),
  ]);
}

/** Float32 little-endian bytes of the values. */
export function f32(values: readonly number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}
