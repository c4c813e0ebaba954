import { TimError } from '../../core/errors';
import { isGlobal, PickleError, unpickle, type PyGlobal } from './pickle';
import { decodeElements, DTYPE_BYTES, isCountList, MAX_WEIGHT_VALUES, numel, valueBudget, type RawTensor, type StateDict } from './tensor';
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
  /** Values the storage holds, as torch.save records it beside the key. */
  numel: unknown;
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

/** Numbers as the file gives them; anything else becomes NaN, which the view check refuses. */
const asInts = (v: unknown): number[] => (Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x : NaN)) : [NaN]);

function reduceTorch(type: PyGlobal, args: unknown[]): unknown {
  const fn = `${type.module}.${type.name}`;
  if (fn === 'torch._utils._rebuild_tensor_v2' || fn === 'torch._utils._rebuild_tensor') {
    const [storage, offset, size, stride] = args;
    return { kind: 'tensor', storage: storage as StorageRef, offset: typeof offset === 'number' ? offset : NaN, size: asInts(size), stride: asInts(stride) } satisfies TensorRef;
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
        return { kind: 'storage', dtype, key: String(pid[2]), numel: pid[4] } satisfies StorageRef;
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
  const budget = valueBudget(file);
  for (const [k, v] of dict) {
    if (typeof k !== 'string' || !isTensorRef(v)) continue;
    const name = k.startsWith('module.') ? k.slice('module.'.length) : k;
    out.set(name, materialise(v, { entries, prefix, cache, file, budget }, name));
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

interface Archive {
  entries: Map<string, ZipEntry>;
  prefix: string;
  /** Storages already read, by path: several tensors may view one. */
  cache: Map<string, Buffer>;
  file: string;
  budget: (name: string, count: number) => void;
}

/** The `count` values of a strided view (size, stride, offset) of `all`, in row-major order of the view. */
function gatherView(all: Float32Array, size: number[], stride: number[], offset: number, count: number): Float32Array {
  const values = new Float32Array(count);
  const idx = new Array<number>(size.length).fill(0);
  for (let i = 0; i < count; i++) {
    let src = offset;
    for (let d = 0; d < idx.length; d++) src += (idx[d] ?? 0) * (stride[d] ?? 0);
    values[i] = all[src] ?? 0;
    // Advance the view's index like an odometer, the last dimension fastest.
    for (let d = idx.length - 1; d >= 0; d--) {
      idx[d] = (idx[d] ?? 0) + 1;
      if ((idx[d] ?? 0) < (size[d] ?? 0)) break;
      idx[d] = 0;
    }
  }
  return values;
}

/**
 * The values of one tensor: its view (offset, sizes, strides) checked against its storage
 * before anything is allocated, so a header cannot make Tim read past a storage, into another
 * one, or allocate more than the storage and the architectures hold.
 */
function materialise(t: TensorRef, archive: Archive, name: string): RawTensor {
  const { file } = archive;
  const refuse = (what: string): never => {
    throw new TimError(`${file}: tensor '${name}' ${what}`);
  };
  if (typeof t.storage !== 'object' || t.storage === null || t.storage.kind !== 'storage') return refuse('is not built on a storage (expected a persistent storage reference)');
  const dtype = t.storage.dtype;
  const bytes = DTYPE_BYTES[dtype];
  if (bytes === undefined) return refuse(`has unsupported dtype ${dtype}`);
  const view = `size [${t.size.join(', ')}], stride [${t.stride.join(', ')}], offset ${t.offset}`;
  if (!isCountList(t.size) || !isCountList(t.stride) || !isCountList([t.offset]) || t.stride.length !== t.size.length) {
    return refuse(`has a view Tim cannot read (${view}): expected whole numbers ≥ 0, one stride per dimension`);
  }
  const count = numel(t.size);
  const storagePath = `${archive.prefix}data/${t.storage.key}`;
  const entry = archive.entries.get(storagePath);
  if (!entry) return refuse(`has its storage ${storagePath} missing from the archive`);
  const held = entry.size / bytes;
  if (!Number.isInteger(held)) return refuse(`has a storage of ${entry.size} bytes, not a whole number of ${dtype} values`);
  if (typeof t.storage.numel === 'number' && t.storage.numel !== held) return refuse(`has a storage that declares ${t.storage.numel} values but holds ${held}`);
  if (held > MAX_WEIGHT_VALUES) return refuse(`has a storage of ${held.toLocaleString('en-US')} values, more than the ${MAX_WEIGHT_VALUES.toLocaleString('en-US')} any architecture Tim builds needs`);
  if (count > held) return refuse(`has ${count} values (${view}) but its storage holds ${held}`);
  // The furthest value the view touches must lie inside the storage.
  const last = t.offset + t.size.reduce((acc, s, i) => acc + (s - 1) * (t.stride[i] ?? 0), 0);
  if (count > 0 && last >= held) return refuse(`reaches value ${last} of a storage of ${held} (${view}); the view runs past its storage`);
  archive.budget(name, count);
  let data = archive.cache.get(storagePath);
  if (!data) {
    data = entry.read();
    archive.cache.set(storagePath, data);
  }
  const contiguous = t.size.every((_, i) => t.stride[i] === t.size.slice(i + 1).reduce((a, b) => a * b, 1) || t.size[i] === 1);
  let values: Float32Array | undefined;
  if (count === 0) values = new Float32Array(0);
  else if (contiguous) values = decodeElements(data, t.offset * bytes, count, dtype);
  else {
    const all = decodeElements(data, 0, held, dtype);
    if (all) values = gatherView(all, t.size, t.stride, t.offset, count);
  }
  if (!values) return refuse(`has unsupported dtype ${dtype}`);
  return { shape: t.size, dtype, data: values, layout: 'torch' };
}
