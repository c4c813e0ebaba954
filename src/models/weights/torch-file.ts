import { TimError } from '../../core/errors';
import { isGlobal, PickleError, unpickle, type PyGlobal } from './pickle';
import { decodeElements, DTYPE_BYTES, numel, type RawTensor, type StateDict } from './tensor';
import { isZip, readZip, type ZipEntry } from './zip';

/**
 * Reads a PyTorch state dict as torch.save writes it (torch >= 1.6): a zip archive holding
 * `<name>/data.pkl` (the pickled dict, tensors as persistent references) and one
 * `<name>/data/<key>` file per storage. Checkpoints wrapping the dict in `state_dict` or `model`
 * are unwrapped, and DataParallel's `module.` prefix is dropped.
 */
const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

interface StorageRef {
  kind: 'storage';
  dtype: string;
  key: string;
}

interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}

function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor';
}

const asInts = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : []);

function reduceTorch(type: PyGlobal, args: unknown[]): unknown {
  const fn = `${type.module}.${type.name}`;
  if (fn === 'torch._utils._rebuild_tensor_v2' || fn === 'torch._utils._rebuild_tensor') {
    const [storage, offset, size, stride] = args;
    return { kind: 'tensor', storage: storage as StorageRef, offset: Number(offset), size: asInts(size), stride: asInts(stride) } satisfies TensorRef;
  }
  if (fn === 'torch._utils._rebuild_parameter' || fn === 'torch._utils._rebuild_parameter_with_state') return args[0];
  return undefined;
}

export function isTorchZip(buf: Buffer): boolean {
  return isZip(buf);
}

export function readTorchFile(buf: Buffer, file: string): StateDict {
  if (!isZip(buf)) {
    if (buf[0] === 0x80) {
      throw new TimError(`${file}: legacy (pre-1.6, non-zip) PyTorch serialization is not supported; re-save it with torch.save in torch >= 1.6`);
    }
    throw new TimError(`${file}: not a PyTorch file (expected a zip archive as torch.save writes)`);
  }
  const entries = readZip(buf, file);
  const pkl = [...entries.keys()].find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pkl === undefined) throw new TimError(`${file}: zip archive without data.pkl (not written by torch.save?)`);
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  let root: unknown;
  try {
    root = unpickle(entries.get(pkl)!.read(), {
      reduce: reduceTorch,
      persistentLoad(pid) {
        if (!Array.isArray(pid) || pid[0] !== 'storage' || !isGlobal(pid[1])) throw new PickleError(`unexpected persistent id ${JSON.stringify(pid)}`);
        const dtype = STORAGE_DTYPES[pid[1].name];
        if (dtype === undefined) throw new PickleError(`unsupported storage type ${pid[1].module}.${pid[1].name}`);
        return { kind: 'storage', dtype, key: String(pid[2]) } satisfies StorageRef;
      },
    });
  } catch (e) {
    if (e instanceof PickleError) throw new TimError(`${file}: cannot read ${pkl}: ${e.message}`);
    throw e;
  }
  const dict = unwrapStateDict(root);
  if (!dict) throw new TimError(`${file}: holds no state dict (expected a dict of tensors, or one under 'state_dict' or 'model')`);
  const cache = new Map<string, Buffer>();
  const out: StateDict = new Map();
  for (const [k, v] of dict) {
    if (typeof k !== 'string' || !isTensorRef(v)) continue;
    const name = k.startsWith('module.') ? k.slice('module.'.length) : k;
    out.set(name, materialise(v, entries, prefix, cache, file, name));
  }
  return out;
}

function unwrapStateDict(root: unknown): Map<unknown, unknown> | undefined {
  if (!(root instanceof Map)) return undefined;
  if ([...root.values()].some(isTensorRef)) return root;
  for (const key of ['state_dict', 'model', 'model_state_dict', 'module']) {
    const inner: unknown = root.get(key);
    if (inner instanceof Map) return unwrapStateDict(inner);
  }
  return undefined;
}

function materialise(t: TensorRef, entries: Map<string, ZipEntry>, prefix: string, cache: Map<string, Buffer>, file: string, name: string): RawTensor {
  const path = `${prefix}data/${t.storage.key}`;
  let data = cache.get(path);
  if (!data) {
    const entry = entries.get(path);
    if (!entry) throw new TimError(`${file}: storage ${path} of '${name}' is missing from the archive`);
    data = entry.read();
    cache.set(path, data);
  }
  const bytes = DTYPE_BYTES[t.storage.dtype] ?? 4;
  const count = numel(t.size);
  // The furthest element the view touches must lie inside the storage.
  const last = t.offset + t.size.reduce((acc, s, i) => acc + (s - 1) * (t.stride[i] ?? 0), 0);
  if (count > 0 && (last + 1) * bytes > data.length) throw new TimError(`${file}: storage of '${name}' is shorter than its shape [${t.size.join(', ')}]`);
  const contiguous = t.size.every((_, i) => t.stride[i] === t.size.slice(i + 1).reduce((a, b) => a * b, 1) || t.size[i] === 1);
  let values: Float32Array | undefined;
  if (contiguous) {
    values = decodeElements(data, t.offset * bytes, count, t.storage.dtype);
  } else {
    const all = decodeElements(data, 0, data.length / bytes, t.storage.dtype);
    if (all) {
      values = new Float32Array(count);
      const idx = new Array<number>(t.size.length).fill(0);
      for (let i = 0; i < count; i++) {
        let src = t.offset;
        for (let d = 0; d < idx.length; d++) src += (idx[d] ?? 0) * (t.stride[d] ?? 0);
        values[i] = all[src] ?? 0;
        for (let d = idx.length - 1; d >= 0; d--) {
          idx[d] = (idx[d] ?? 0) + 1;
          if ((idx[d] ?? 0) < (t.size[d] ?? 0)) break;
          idx[d] = 0;
        }
      }
    }
  }
  if (!values) throw new TimError(`${file}: '${name}' has unsupported dtype ${t.storage.dtype}`);
  return { shape: t.size, dtype: t.storage.dtype, data: values, layout: 'torch' };
}
