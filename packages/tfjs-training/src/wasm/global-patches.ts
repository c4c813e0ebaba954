import type * as os from 'node:os';
import { fieldOf, methodOf } from '../untyped';
import { startHeapWatchdog } from './heap-watchdog';

/**
 * Everything this package changes that is not its own, in one place. Nothing here runs on import:
 * enableTraining('wasm') applies the first two (threads only), the application applies the third
 * once the wasm backend has started.
 */

/**
 * Makes URL.createObjectURL hand the threaded wasm build's worker script, a Blob recognised by its
 * size, to Node as `workerFile`. Why: Emscripten starts each pthread worker from a `blob:` URL of
 * that script, and Node's worker_threads cannot load `blob:` URLs. It stays for the life of the
 * process, since Emscripten starts a worker whenever its pool runs short; every other object goes
 * to the original, so the patch is harmless to anything else.
 */
export function redirectWorkerBlob(workerBlobSize: number, workerFile: string): void {
  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob | MediaSource): string => (obj instanceof Blob && obj.size === workerBlobSize ? workerFile : createObjectURL(obj));
}

/**
 * Makes os.cpus() report at least 2·threads CPUs until the returned function puts the original
 * back. Why: the wasm backend caps its thread pool at half the logical cores (it assumes two
 * hyper-threads per core), one thread on a 2-core machine; it reads the count once, as its module
 * starts, so the patch is needed only until the backend exists.
 */
export function reportCpusFor(threads: number): () => void {
  // The module object itself (what the backend's own require('os') returns), not an import namespace.
  const osMutable = require('os') as { cpus: typeof os.cpus };
  const cpus = osMutable.cpus;
  const real = cpus();
  osMutable.cpus = () => Array.from({ length: Math.max(real.length, 2 * threads) }, (_, i) => real[i % real.length] as os.CpuInfo);
  return () => {
    osMutable.cpus = cpus;
  };
}

const guarded = new WeakSet<object>();

/**
 * Makes a failed allocation on the wasm heap throw: wraps the started backend's module `_malloc`.
 * Why: tfjs does not check malloc's result; past the 4 GiB cap it places the tensor at address 0
 * and writes over the heap's own bookkeeping, which in the threaded build leaves the worker
 * threads spinning for ever instead of failing. Every allocation that succeeds returns what it
 * did before; a second call changes nothing. The heap watchdog ends the process with
 * `exhaustedMessage` if the heap fills while a kernel runs.
 */
export function guardWasmAllocations(backend: unknown, exhaustedMessage: string): void {
  const wasm = fieldOf(backend, 'wasm');
  const malloc = methodOf(wasm, '_malloc');
  if (typeof wasm !== 'object' || wasm === null || !malloc || guarded.has(wasm)) return;
  Reflect.set(wasm, '_malloc', (bytes: number): number => {
    const ptr = Number(malloc(bytes));
    if (ptr === 0 && bytes > 0) throw new Error(`Could not allocate ${bytes} bytes on the wasm heap (4 GiB cap)`);
    return ptr;
  });
  guarded.add(wasm);
  const memory = fieldOf(wasm, 'wasmMemory');
  if (memory instanceof WebAssembly.Memory) startHeapWatchdog(memory, exhaustedMessage);
}
