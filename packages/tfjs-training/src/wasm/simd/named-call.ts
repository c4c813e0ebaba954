import { KERNEL_NAMES, KERNEL_SIGNATURES, type KernelName, type KernelParam, type KernelParams } from './kernels-signatures';

/** An export of kernels.wat as the engine hands it over: arguments by position. */
export type PositionalKernel = (...args: number[]) => void;
export type PositionalKernels = Readonly<Record<KernelName, PositionalKernel>>;

/** The exports of kernels.wat, each taking its arguments by name. */
export type SimdKernels = { readonly [K in KernelName]: (params: KernelParams[K]) => void };

/** One call of a kernel with its arguments by name: what a worker thread is handed. */
export type KernelCall = { [K in KernelName]: { name: K; params: KernelParams[K] } }[KernelName];

/**
 * The instance's exports, checked against kernels-signatures.ts: every kernel there must be an
 * exported function taking as many arguments as the signature lists.
 */
export function positionalKernels(exports: WebAssembly.Exports): PositionalKernels {
  const kernels: Partial<Record<KernelName, PositionalKernel>> = {};
  for (const name of KERNEL_NAMES) {
    const fn = exports[name];
    const arity = KERNEL_SIGNATURES[name].length;
    if (typeof fn !== 'function' || fn.length !== arity) {
      throw new Error(`wasm kernels: export "${name}" is not a function of ${arity} arguments; kernels-binary.ts and kernels-signatures.ts disagree (npm run build:simd)`);
    }
    kernels[name] = fn as PositionalKernel;
  }
  return kernels as PositionalKernels;
}

/** The arguments of a call in the order the export takes them. */
function orderedArgs(name: KernelName, signature: readonly KernelParam[], params: object): number[] {
  const args = new Array<number>(signature.length);
  for (let i = 0; i < signature.length; i++) {
    const param = (signature[i] as KernelParam).name;
    const value: unknown = Reflect.get(params, param);
    if (typeof value !== 'number') throw new Error(`wasm kernel ${name}: argument ${param} is ${typeof value}, expected a number`);
    args[i] = value;
  }
  return args;
}

/** A call's arguments by position, as the export (or a worker running it) takes them. */
export function positionalArgs(call: KernelCall): number[] {
  return orderedArgs(call.name, KERNEL_SIGNATURES[call.name], call.params);
}

/** The kernels taking their arguments by name, each turning them into the positional call. */
export function namedKernels(positional: PositionalKernels): SimdKernels {
  const named: Partial<Record<KernelName, (params: object) => void>> = {};
  for (const name of KERNEL_NAMES) {
    const fn = positional[name];
    const signature = KERNEL_SIGNATURES[name];
    named[name] = (params) => fn(...orderedArgs(name, signature, params));
  }
  return named as SimdKernels;
}
