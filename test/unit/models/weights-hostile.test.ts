import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { isTimError } from '../../../src/core/errors';
import { readSafetensors, readTorchFile, readWeightFile } from '../../../src/models';
import { f32, torchFile, zeroBomb, type TensorSpec } from '../../support/torch-zip';
import { tmpDir } from '../../support/tmp';

const FILE = 'hostile.pth';

/** The one-line message a read fails with; fails the test if it throws anything but a TimError. */
function refusal(read: () => unknown): string {
  try {
    read();
  } catch (e) {
    if (!isTimError(e)) throw e;
    expect(e.message).not.toMatch(/\n/);
    return e.message;
  }
  throw new Error('the file was accepted');
}

const tensor = (t: Partial<TensorSpec>): TensorSpec => ({ name: 'layer.weight', storageKey: '0', numel: 4, offset: 0, size: [4], stride: [1], ...t });

describe('hostile .pth files are refused in one line naming the file and the tensor', () => {
  it('reads a hand-built file with an offset, shared storage and a transposed view, as as_strided defines them', () => {
    const storage = f32([0, 1, 2, 3, 4, 5, 6, 7]);
    const sd = readTorchFile(
      torchFile(
        [tensor({ name: 'a', numel: 8, offset: 2, size: [2, 2], stride: [2, 1] }), tensor({ name: 't', numel: 8, offset: 1, size: [3, 2], stride: [1, 3] }), tensor({ name: 'e', numel: 8, offset: 8, size: [0], stride: [1] })],
        { '0': storage },
      ),
      FILE,
    );
    expect(Array.from(sd.get('a')!.data)).toEqual([2, 3, 4, 5]);
    // t[i][j] = storage[1 + i + 3j]
    expect(Array.from(sd.get('t')!.data)).toEqual([1, 4, 2, 5, 3, 6]);
    expect(sd.get('e')!.data.length).toBe(0);
  });

  it('a 1 MB entry that inflates to 1 GiB: refused before inflating, by the size it declares', () => {
    const bomb = torchFile([tensor({ numel: 2 ** 28, size: [2 ** 28] })], { '0': { data: zeroBomb(1024), method: 8, declaredSize: 2 ** 30 } });
    expect(bomb.length).toBeLessThan(1.1e6);
    const before = process.memoryUsage().arrayBuffers;
    expect(refusal(() => readTorchFile(bomb, FILE))).toMatch(/^hostile\.pth: tensor 'layer\.weight' has a storage of 268,435,456 values, more than the 67,108,864 any architecture Tim builds needs$/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  it('an entry that declares 16 bytes but inflates to 64 MiB: inflation stops at the declared size', () => {
    const lying = torchFile([tensor({})], { '0': { data: zeroBomb(64), method: 8, declaredSize: 16 } });
    expect(refusal(() => readTorchFile(lying, FILE))).toMatch(/^hostile\.pth: corrupt zip archive \(archive\/data\/0 does not inflate to its declared 16 bytes/);
  });

  it('a stride-0 view claiming many values over one stored value (a 400-byte file asking for 250 MiB and more)', () => {
    for (const n of [65_536_000, 2 ** 40]) {
      const file = torchFile([tensor({ numel: 1, size: [n], stride: [0] })], { '0': f32([1]) });
      expect(file.length).toBeLessThan(600);
      expect(refusal(() => readTorchFile(file, FILE))).toBe(`hostile.pth: tensor 'layer.weight' has ${n} values (size [${n}], stride [0], offset 0) but its storage holds 1`);
    }
  });

  it('views past their storage, negative strides and sizes, non-numbers, mismatched storages', () => {
    const cases: Array<[Partial<TensorSpec>, Buffer, RegExp]> = [
      [{ offset: 2, size: [2, 2], stride: [2, 1] }, f32([0, 1, 2, 3]), /reaches value 5 of a storage of 4 .*runs past its storage/],
      [{ offset: 0, size: [2, 2], stride: [3, 1] }, f32([0, 1, 2, 3]), /reaches value 4 of a storage of 4/],
      [{ offset: 3, size: [2], stride: [1] }, f32([0, 1, 2, 3]), /reaches value 4 of a storage of 4/],
      [{ offset: 3, size: [4], stride: [-1] }, f32([0, 1, 2, 3]), /has a view Tim cannot read \(size \[4\], stride \[-1\], offset 3\): expected whole numbers ≥ 0/],
      [{ size: [-5], stride: [1] }, f32([0, 1, 2, 3]), /has a view Tim cannot read \(size \[-5\]/],
      [{ offset: -1 }, f32([0, 1, 2, 3]), /has a view Tim cannot read/],
      [{ size: [2, 2], stride: [2] }, f32([0, 1, 2, 3]), /one stride per dimension/],
      [{ numel: 1000 }, f32([0, 1, 2, 3]), /has a storage that declares 1000 values but holds 4/],
      [{}, Buffer.alloc(15), /has a storage of 15 bytes, not a whole number of F32 values/],
      [{ storageKey: '9' }, f32([0, 1, 2, 3]), /has its storage archive\/data\/9 missing from the archive/],
    ];
    for (const [t, storage, message] of cases) {
      const text = refusal(() => readTorchFile(torchFile([tensor(t)], { '0': storage }), FILE));
      expect(text).toMatch(/^hostile\.pth: tensor 'layer\.weight' /);
      expect(text).toMatch(message);
    }
  });

  it('readWeightFile names the file for a hostile .pth on disk', () => {
    const t = tmpDir();
    try {
      const file = path.join(t.dir, 'w.pth');
      fs.writeFileSync(file, torchFile([tensor({ size: [-5], stride: [1] })], { '0': f32([0, 1, 2, 3]) }));
      expect(refusal(() => readWeightFile(file))).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tensor 'layer.weight' has a view`));
    } finally {
      t.cleanup();
    }
  });
});

/** Bytes per element and a reference decoder for the dtypes the property draws. */
const DTYPES: Record<string, { bytes: number; read: (b: Buffer, at: number) => number }> = {
  F32: { bytes: 4, read: (b, at) => b.readFloatLE(at) },
  F64: { bytes: 8, read: (b, at) => Math.fround(b.readDoubleLE(at)) },
  I64: { bytes: 8, read: (b, at) => Math.fround(Number(b.readBigInt64LE(at))) },
  I32: { bytes: 4, read: (b, at) => Math.fround(b.readInt32LE(at)) },
  I16: { bytes: 2, read: (b, at) => b.readInt16LE(at) },
  I8: { bytes: 1, read: (b, at) => b.readInt8(at) },
  U8: { bytes: 1, read: (b, at) => b.readUInt8(at) },
};

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function safetensorsFile(header: Record<string, HeaderEntry>, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

describe('safetensors headers: refused with a TimError or read exactly, never past or across a tensor', () => {
  // Well-formed layouts, then any field changed to anything: offsets moved, shapes enlarged, dtypes swapped.
  const entry = fc.record({ dtype: fc.constantFrom(...Object.keys(DTYPES)), shape: fc.array(fc.nat({ max: 4 }), { maxLength: 3 }) });
  const mutation = fc.oneof(
    fc.constant(undefined),
    fc.record({ field: fc.constant('begin' as const), value: fc.oneof(fc.nat({ max: 80 }), fc.constantFrom(2 ** 53 - 1, 2 ** 60)) }),
    fc.record({ field: fc.constant('end' as const), value: fc.oneof(fc.nat({ max: 80 }), fc.constantFrom(2 ** 53 - 1, 2 ** 60)) }),
    fc.record({ field: fc.constant('shape' as const), value: fc.array(fc.oneof(fc.nat({ max: 6 }), fc.constantFrom(2 ** 31, 2 ** 53 - 1)), { maxLength: 3 }) }),
    fc.record({ field: fc.constant('dtype' as const), value: fc.constantFrom(...Object.keys(DTYPES), 'C64', '') }),
  );
  it('holds for arbitrary offsets, shapes and dtypes', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(entry, mutation, fc.nat({ max: 3 })), { maxLength: 5 }), fc.oneof(fc.constant(0), fc.nat({ max: 6 })), fc.uint8Array({ minLength: 256, maxLength: 256 }), (drawn, trailing, noise) => {
        const header: Record<string, HeaderEntry> = {};
        let offset = 0;
        drawn.forEach(([e, m, target], i) => {
          const bytes = (DTYPES[e.dtype]?.bytes ?? 1) * e.shape.reduce((a, b) => a * b, 1);
          const h: HeaderEntry = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
          offset += bytes;
          const victim = i === target ? h : (header[`t${target}`] ?? h);
          if (m?.field === 'begin') victim.data_offsets[0] = m.value;
          else if (m?.field === 'end') victim.data_offsets[1] = m.value;
          else if (m?.field === 'shape') victim.shape = m.value;
          else if (m?.field === 'dtype') victim.dtype = m.value;
          header[`t${i}`] = h;
        });
        const data = Buffer.from(noise.subarray(0, Math.min(256, offset + trailing)));
        const buf = safetensorsFile(header, data);
        let read: ReturnType<typeof readSafetensors>;
        try {
          read = readSafetensors(buf, 'h.safetensors');
        } catch (e) {
          if (!isTimError(e)) throw e;
          expect(e.message).toMatch(/^h\.safetensors[: ]/);
          return;
        }
        // Accepted: the ranges tile the data exactly, and each tensor holds its own bytes.
        accepted++;
        const ranges = Object.values(header).map((h) => h.data_offsets).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        let at = 0;
        for (const [b, e] of ranges) {
          expect(b).toBe(at);
          at = e;
        }
        expect(at).toBe(data.length);
        for (const [name, h] of Object.entries(header)) {
          const d = DTYPES[h.dtype]!;
          const t = read.get(name)!;
          expect(t.shape).toEqual(h.shape);
          const want = Array.from({ length: t.data.length }, (_, i) => d.read(data, h.data_offsets[0] + i * d.bytes));
          expect(h.data_offsets[0] + t.data.length * d.bytes).toBe(h.data_offsets[1]);
          expect(Array.from(t.data)).toEqual(want);
        }
      }),
      { numRuns: 600 },
    );
    expect(accepted).toBeGreaterThan(30);
  });

  it('overlapping, gapped and out-of-bounds offsets name the tensor', () => {
    const data = f32([1, 2, 3, 4]);
    const f = (a: [number, number], b: [number, number]) => safetensorsFile({ a: { dtype: 'F32', shape: [(a[1] - a[0]) / 4], data_offsets: a }, b: { dtype: 'F32', shape: [(b[1] - b[0]) / 4], data_offsets: b } }, data);
    expect(refusal(() => readSafetensors(f([0, 8], [4, 12]), 'x.safetensors'))).toBe("x.safetensors: tensor 'b' holds bytes [4, 12), overlapping 'a' (which ends at byte 8)");
    expect(refusal(() => readSafetensors(f([0, 4], [8, 16]), 'x.safetensors'))).toBe("x.safetensors: tensor 'b' holds bytes [8, 16), leaving bytes [4, 8) that no tensor holds");
    expect(refusal(() => readSafetensors(f([0, 8], [8, 24]), 'x.safetensors'))).toBe("x.safetensors: tensor 'b' holds bytes [8, 24), past the 16 bytes of data; truncated?");
    expect(refusal(() => readSafetensors(f([0, 4], [4, 8]), 'x.safetensors'))).toBe('x.safetensors: 8 bytes after the last tensor that no tensor holds; not a safetensors file as written');
  });
});
