/**
 * A reader for the subset of Python's pickle format (protocols 2-4) that torch.save uses for
 * state dicts: dicts, OrderedDicts, tuples, lists, strings, numbers, globals resolved by the
 * caller (torch._utils._rebuild_tensor_v2, ...) and persistent ids (tensor storages).
 * It builds plain values; it never runs code from the file.
 */
/** Pickle opcodes (Python's pickletools names) that torch.save files use. */
const OP = {
  APPEND: 0x61,
  APPENDS: 0x65,
  BINBYTES: 0x42,
  BINFLOAT: 0x47,
  BINGET: 0x68,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  BINPERSID: 0x51,
  BINPUT: 0x71,
  BINSTRING: 0x54,
  BINUNICODE: 0x58,
  BUILD: 0x62,
  DICT: 0x64,
  DUP: 0x32,
  EMPTY_DICT: 0x7d,
  EMPTY_LIST: 0x5d,
  EMPTY_TUPLE: 0x29,
  FRAME: 0x95,
  GLOBAL: 0x63,
  LIST: 0x6c,
  LONG1: 0x8a,
  LONG4: 0x8b,
  LONG_BINGET: 0x6a,
  LONG_BINPUT: 0x72,
  MARK: 0x28,
  MEMOIZE: 0x94,
  NEWFALSE: 0x89,
  NEWOBJ: 0x81,
  NEWTRUE: 0x88,
  NONE: 0x4e,
  POP: 0x30,
  POP_MARK: 0x31,
  PROTO: 0x80,
  REDUCE: 0x52,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  SHORT_BINBYTES: 0x43,
  SHORT_BINSTRING: 0x55,
  SHORT_BINUNICODE: 0x8c,
  STACK_GLOBAL: 0x93,
  STOP: 0x2e,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
} as const;

export interface PyGlobal {
  kind: 'global';
  module: string;
  name: string;
}

/** An object built from a global the caller did not resolve: kept for inspection only. */
export interface PyObject {
  kind: 'object';
  type: PyGlobal;
  args: unknown[];
  state?: unknown;
}

export interface UnpickleHooks {
  /** Builds the value `type(*args)`; return undefined to keep a generic PyObject. */
  reduce?(type: PyGlobal, args: unknown[]): unknown;
  /** Resolves a persistent id (torch: a storage reference tuple). */
  persistentLoad?(pid: unknown): unknown;
}

export class PickleError extends Error {}

const DICT_TYPES = new Set(['collections.OrderedDict', 'builtins.dict', '__builtin__.dict']);

export function isGlobal(v: unknown): v is PyGlobal {
  return typeof v === 'object' && v !== null && (v as PyGlobal).kind === 'global';
}

export function unpickle(buf: Buffer, hooks: UnpickleHooks = {}): unknown {
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const need = (n: number): void => {
    if (p + n > buf.length) throw new PickleError(`truncated at byte ${p}`);
  };
  const u8 = (): number => (need(1), buf.readUInt8(p++));
  const u16 = (): number => (need(2), (p += 2), buf.readUInt16LE(p - 2));
  const u32 = (): number => (need(4), (p += 4), buf.readUInt32LE(p - 4));
  const bytes = (n: number): Buffer => (need(n), (p += n), buf.subarray(p - n, p));
  const line = (): string => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0) throw new PickleError(`unterminated line at byte ${p}`);
    const s = buf.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw new PickleError(`stack underflow at byte ${p}`);
    return stack.pop();
  };
  const top = (): unknown => stack[stack.length - 1];
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw new PickleError(`no mark at byte ${p}`);
    return stack.splice(m);
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof Map)) throw new PickleError(`SETITEM on a non-dict at byte ${p}`);
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const build = (type: unknown, args: unknown[]): unknown => {
    if (!isGlobal(type)) throw new PickleError(`cannot call a non-global at byte ${p}`);
    const custom = hooks.reduce?.(type, args);
    if (custom !== undefined) return custom;
    if (DICT_TYPES.has(`${type.module}.${type.name}`)) return new Map();
    return { kind: 'object', type, args } satisfies PyObject;
  };
  const signedLong = (b: Buffer): number => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
    if ((b[b.length - 1] ?? 0) & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case OP.PROTO:
        u8();
        break;
      case OP.FRAME:
        bytes(8);
        break;
      case OP.STOP:
        return pop();
      case OP.MARK:
        marks.push(stack.length);
        break;
      case OP.EMPTY_DICT:
        stack.push(new Map());
        break;
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_TUPLE:
        stack.push([]);
        break;
      case OP.TUPLE:
        stack.push(popMark());
        break;
      case OP.TUPLE1:
        stack.push([pop()]);
        break;
      case OP.TUPLE2: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case OP.LIST:
        stack.push(popMark());
        break;
      case OP.DICT: {
        // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case OP.BINPUT:
        memo.set(u8(), top());
        break;
      case OP.LONG_BINPUT:
        memo.set(u32(), top());
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        // LONG_BINGET
        const k = op === OP.BINGET ? u8() : u32();
        if (!memo.has(k)) throw new PickleError(`memo key ${k} missing at byte ${p}`);
        stack.push(memo.get(k));
        break;
      }
      case OP.BINUNICODE:
        stack.push(bytes(u32()).toString('utf8'));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(bytes(u8()).toString('utf8'));
        break;
      case OP.BINSTRING:
        stack.push(bytes(u32()).toString('latin1'));
        break;
      case OP.SHORT_BINSTRING:
        stack.push(bytes(u8()).toString('latin1'));
        break;
      case OP.BINBYTES:
        stack.push(Buffer.from(bytes(u32())));
        break;
      case OP.SHORT_BINBYTES:
        stack.push(Buffer.from(bytes(u8())));
        break;
      case OP.BININT:
        need(4);
        stack.push(buf.readInt32LE(p));
        p += 4;
        break;
      case OP.BININT1:
        stack.push(u8());
        break;
      case OP.BININT2:
        stack.push(u16());
        break;
      case OP.LONG1:
        stack.push(signedLong(bytes(u8())));
        break;
      case OP.LONG4:
        stack.push(signedLong(bytes(u32())));
        break;
      case OP.BINFLOAT:
        need(8);
        stack.push(buf.readDoubleBE(p));
        p += 8;
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.GLOBAL: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push({ kind: 'global', module, name } satisfies PyGlobal);
        break;
      }
      case OP.STACK_GLOBAL: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        stack.push({ kind: 'global', module: String(module), name: String(name) } satisfies PyGlobal);
        break;
      }
      case OP.BINPERSID: {
        // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) throw new PickleError('persistent id without a loader');
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      case OP.REDUCE: {
        // REDUCE
        const args = pop();
        const type = pop();
        stack.push(build(type, Array.isArray(args) ? args : []));
        break;
      }
      case OP.NEWOBJ: {
        // NEWOBJ
        const args = pop();
        const type = pop();
        stack.push(build(type, Array.isArray(args) ? args : []));
        break;
      }
      case OP.BUILD: {
        // BUILD: state for an object; dicts (OrderedDict's _metadata) keep their items.
        const state = pop();
        const obj = top();
        if (typeof obj === 'object' && obj !== null && (obj as PyObject).kind === 'object') (obj as PyObject).state = state;
        break;
      }
      case OP.SETITEM: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case OP.SETITEMS: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case OP.APPEND: {
        // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError(`APPEND on a non-list at byte ${p}`);
        list.push(v);
        break;
      }
      case OP.APPENDS: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw new PickleError(`APPENDS on a non-list at byte ${p}`);
        list.push(...items);
        break;
      }
      case OP.POP:
        pop();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        stack.push(top());
        break;
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}
