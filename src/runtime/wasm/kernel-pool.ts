import { Worker } from 'node:worker_threads';
import { isSharedHeap, type BoundKernels, type SimdKernels } from './simd';
import { wasmThreadCount } from './threads';

/** One call of a SIMD kernel: its export name and integer arguments (addresses, sizes). */
export interface KernelCall {
  name: keyof SimdKernels;
  args: number[];
}

/** Kernels a worker may be asked to run; a call names one by its index here. */
const POOL_KERNELS: (keyof SimdKernels)[] = ['gemm', 'conv_rows', 'winograd_rows'];
const MAX_ARGS = 24;

/** Control words each worker shares with the main thread. */
const STATE = 0;
const KERNEL = 1;
const ARGC = 2;
const ARGS = 3;
const IDLE = 0;
const POSTED = 1;
const DONE = 2;
const FAILED = 3;

/**
 * A worker instantiates the kernels on the same shared heap, then waits on its control words for
 * calls. It never returns to its event loop, and is unreferenced, so it does not keep the
 * process alive.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, names } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory } });
const kernels = names.map((name) => instance.exports[name]);
const c = new Int32Array(control);
for (;;) {
  const state = Atomics.load(c, ${STATE});
  if (state !== ${POSTED}) { Atomics.wait(c, ${STATE}, state); continue; }
  let next = ${DONE};
  try {
    kernels[c[${KERNEL}]](...Array.from(c.subarray(${ARGS}, ${ARGS} + c[${ARGC}])));
  } catch {
    next = ${FAILED};
  }
  Atomics.store(c, ${STATE}, next);
  Atomics.notify(c, ${STATE});
}
`;

interface PoolWorker {
  worker: Worker;
  control: Int32Array;
}

const pools = new WeakMap<WebAssembly.Memory, PoolWorker[]>();

function poolFor(bound: BoundKernels): PoolWorker[] {
  const cached = pools.get(bound.memory);
  if (cached) return cached;
  const workers: PoolWorker[] = [];
  // Only the threaded build's heap can be shared with other threads.
  const extra = isSharedHeap(bound.memory) ? wasmThreadCount() - 1 : 0;
  for (let i = 0; i < extra; i++) {
    const control = new SharedArrayBuffer(4 * (ARGS + MAX_ARGS));
    try {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module: bound.module, memory: bound.memory, control, names: POOL_KERNELS },
      });
      worker.unref();
      workers.push({ worker, control: new Int32Array(control) });
    } catch {
      // A process that may start no more threads still computes everything, on fewer of them.
      break;
    }
  }
  pools.set(bound.memory, workers);
  return workers;
}

/** How many calls runParallel runs at once on this heap: the main thread and the pool's workers. */
export function parallelism(bound: BoundKernels): number {
  return 1 + poolFor(bound).length;
}

/**
 * Runs the calls at once, the first on this thread and each other on a worker, and returns when
 * all are done. The calls must write to disjoint memory. With no workers, they run in turn.
 */
export function runParallel(bound: BoundKernels, calls: KernelCall[]): void {
  const workers = poolFor(bound);
  if (calls.length > workers.length + 1) throw new Error(`runParallel: ${calls.length} calls for ${workers.length + 1} threads`);
  const posted: PoolWorker[] = [];
  for (let i = 1; i < calls.length; i++) {
    const call = calls[i] as KernelCall;
    const w = workers[i - 1] as PoolWorker;
    const index = POOL_KERNELS.indexOf(call.name);
    if (index < 0 || call.args.length > MAX_ARGS) throw new Error(`runParallel: ${call.name} cannot run on a worker`);
    w.control[KERNEL] = index;
    w.control[ARGC] = call.args.length;
    // Int32Array stores wrap addresses above 2 GiB to the same 32 bits the kernel reads.
    w.control.set(call.args, ARGS);
    Atomics.store(w.control, STATE, POSTED);
    Atomics.notify(w.control, STATE);
    posted.push(w);
  }
  let failure: Error | undefined;
  const first = calls[0];
  if (first) {
    try {
      (bound.kernels as unknown as Record<string, (...args: number[]) => void>)[first.name]?.(...first.args);
    } catch (e) {
      // Workers are still running on the heap: wait for them before the error unwinds.
      failure = e instanceof Error ? e : new Error(String(e));
    }
  }
  let workerFailed = false;
  for (const w of posted) {
    while (Atomics.load(w.control, STATE) === POSTED) Atomics.wait(w.control, STATE, POSTED);
    if (Atomics.load(w.control, STATE) === FAILED) workerFailed = true;
    Atomics.store(w.control, STATE, IDLE);
  }
  if (failure) throw failure;
  if (workerFailed) throw new Error('a wasm kernel failed on a worker thread');
}

/** Splits rows [0, m) into at most `parts` ranges whose starts are multiples of 4 (the kernels' tile height). */
export function splitRows(m: number, parts: number): [number, number][] {
  const ranges: [number, number][] = [];
  const step = Math.ceil(m / parts / 4) * 4;
  for (let r = 0; r < m; r += step) ranges.push([r, Math.min(m, r + step)]);
  return ranges;
}
